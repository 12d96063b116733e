"""Templates: of a running sandbox, from an image, clones, deletion."""

from __future__ import annotations

import pytest

from cove import ConflictError, NotFoundError, Sandbox, Service, Template

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


def test_template_from_an_image_with_start_command_hooks_and_services(connection: dict[str, str]) -> None:
    name = unique("image")
    info = Template.create(
        name,
        image=IMAGE,
        start_cmd="echo started > /tmp/started; exec sleep 100000",
        # Ready once the start command and the service have both begun.
        ready_cmd="test -f /tmp/started && test -f /tmp/service-up",
        hooks={"validate": "true", "run": "cat > /tmp/payload; echo ran"},
        services=[Service(name="svc", cmd="echo service says hi; touch /tmp/service-up; exec sleep 100000")],
        **connection,
    )
    try:
        assert (info.name, info.image) == (name, IMAGE)
        with Sandbox.create(template=name, run_payload="the payload", **connection) as clone:
            assert clone.files.read("/tmp/started") == "started\n"
            assert any(p.cmd[-1].endswith("sleep 100000") for p in clone.commands.list())
            # The daemon ran the clone's validate and run hooks as it started.
            assert clone.files.read("/tmp/payload") == "the payload"
            ran = {(run.hook, run.outcome) for run in clone.hooks.history()}
            assert {("validate", "done"), ("run", "done")} <= ran
            services = {s.name: s for s in clone.services.list()}
            assert services["svc"].state == "running"
            assert "service says hi" in clone.services.logs("svc")
    finally:
        Template.delete(name, **connection)
    with pytest.raises(NotFoundError):
        Template.get(name, **connection)
