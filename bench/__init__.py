"""The benchmark of taskapi and its floor; never imported by the product (see bench/README.md)."""
