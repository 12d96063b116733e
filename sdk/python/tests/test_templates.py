"""Templates: of a running sandbox, from an image, clones, deletion."""

from __future__ import annotations

import pytest

from cove import ConflictError, NotFoundError, Sandbox, Template

from .conftest import IMAGE, unique


def test_clone_of_a_sandbox_template_has_its_files(sandbox: Sandbox, template: str, connection: dict[str, str]) -> None:
    assert template in [t.name for t in Template.list(**connection)]
    assert Template.get(template, **connection).image == IMAGE
    with Sandbox.create(template=template, **connection) as clone:
        assert clone.info.template == template
        assert clone.files.read("/root/template-marker") == "from the template"
        # A template in use cannot be deleted.
        with pytest.raises(ConflictError):
            Template.delete(template, **connection)
        clone_id = clone.sandbox_id
    # Leaving the block deleted the clone.
    with pytest.raises(NotFoundError):
        Sandbox.connect(clone_id, **connection)
    # The shared sandbox carried on.
    assert sandbox.commands.run("echo still here").stdout == "still here\n"


def test_template_from_an_image_runs_its_start_command_in_clones(connection: dict[str, str]) -> None:
    name = unique("image")
    info = Template.create(
        name,
        image=IMAGE,
        start_cmd="echo started > /tmp/started; exec sleep 100000",
        ready_cmd="test -f /tmp/started",
        **connection,
    )
    try:
        assert (info.name, info.image) == (name, IMAGE)
        with Sandbox.create(template=name, **connection) as clone:
            assert clone.files.read("/tmp/started") == "started\n"
            assert any(p.cmd[-1].endswith("sleep 100000") for p in clone.commands.list())
    finally:
        Template.delete(name, **connection)
    with pytest.raises(NotFoundError):
        Template.get(name, **connection)
