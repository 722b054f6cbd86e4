"""User.email becomes an EmailAddressField, which cleans a value to its stored form before
validating it. The column is the same, so only Django's state changes: without this,
SQLite would rebuild the whole users table for nothing."""

from django.db import migrations

import accounts.models


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="user",
                    name="email",
                    field=accounts.models.EmailAddressField(
                        max_length=254, unique=True, verbose_name="email address"
                    ),
                ),
            ],
        ),
    ]
