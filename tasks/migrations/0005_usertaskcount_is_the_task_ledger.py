"""UserTaskCount is renamed TaskLedger, for what it holds: counts, change numbers and purge
marks. Only Django's state changes: the table keeps its name, which the triggers of
migrations 0002 and 0003 write to, so no SQL runs either way."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("tasks", "0004_idempotent_requests"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RenameModel("UserTaskCount", "TaskLedger"),
                migrations.AlterModelTable("TaskLedger", "tasks_usertaskcount"),
                migrations.AlterField(
                    model_name="taskledger",
                    name="user",
                    field=models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="task_ledger",
                        serialize=False,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        ),
    ]
