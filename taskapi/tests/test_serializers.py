"""FieldsBuiltOnce: fields built once per serializer class, yet each instance's its own."""

from rest_framework import serializers

from tasks.filters import TaskListQuery
from tasks.serializers import TaskSerializer


def test_each_serializer_instance_binds_its_own_copies_of_the_fields():
    first, second = TaskSerializer(data={"title": " "}), TaskSerializer(data={"title": "Ok"})

    assert first.fields["title"] is not second.fields["title"]
    assert first.fields["title"].parent is first
    assert second.fields["title"].parent is second
    assert not first.is_valid()
    assert second.is_valid()
    assert first.errors == {"title": ["This field may not be blank."]}
    assert second.validated_data == {"title": "Ok"}


def test_a_model_serializer_keeps_its_model_built_fields():
    fields = TaskSerializer().fields

    assert list(fields) == TaskSerializer.Meta.fields
    assert all(fields[name].read_only for name in TaskSerializer.Meta.read_only_fields)


def test_query_parameters_validated_one_after_another_do_not_share_state():
    wrong = TaskListQuery(data={"limit": "0"})
    right = TaskListQuery(data={"limit": "5"})

    assert not wrong.is_valid()
    assert right.is_valid()
    assert right.validated_data["limit"] == 5
    assert list(wrong.errors) == ["limit"]


def test_a_validator_or_message_added_to_one_instance_does_not_reach_the_next():
    def no_x(value):
        if "x" in value:
            raise serializers.ValidationError("No x.")

    tampered = TaskSerializer(data={"title": "x", "completed": "yes"})
    tampered.fields["title"].validators.append(no_x)
    tampered.fields["completed"].error_messages["invalid"] = "Changed for one request."
    later = TaskSerializer(data={"title": "x", "completed": "yes"})

    assert not tampered.is_valid()
    assert tampered.errors["title"] == ["No x."]
    assert tampered.errors["completed"] == ["Changed for one request."]
    assert not later.is_valid()
    assert "title" not in later.errors
    assert later.errors["completed"] != ["Changed for one request."]
