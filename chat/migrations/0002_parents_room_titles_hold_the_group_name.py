"""Parents' rooms store only the group's name: « : родители» is added when shown (Room.display_title)."""

from django.db import migrations

SUFFIX = ": родители"


def drop_suffix(apps, schema_editor) -> None:
    Room = apps.get_model("chat", "Room")
    for room in Room.objects.filter(kind="parents", title__endswith=SUFFIX):
        room.title = room.title.removesuffix(SUFFIX)
        room.save(update_fields=["title"])


def add_suffix(apps, schema_editor) -> None:
    Room = apps.get_model("chat", "Room")
    for room in Room.objects.filter(kind="parents").exclude(title__endswith=SUFFIX):
        room.title += SUFFIX
        room.save(update_fields=["title"])


class Migration(migrations.Migration):
    dependencies = [("chat", "0001_initial")]

    operations = [migrations.RunPython(drop_suffix, add_suffix)]
