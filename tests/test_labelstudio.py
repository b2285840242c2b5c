"""A real Label Studio server on localhost (from `make labelstudio`, its own venv): create a
project with ddlens's labelling configuration, import exported tasks through the API,
annotate two of them through the API as an annotator would in the browser, export the
project and read it back with `ddlens annotate import`."""

import json
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.annotations import load_annotations
from pipeline.cli import app

ROOT = Path(__file__).resolve().parent.parent
EXECUTABLE = Path(os.environ.get("DDLENS_LABEL_STUDIO", ROOT / ".lsvenv" / "bin" / "label-studio"))
EMAIL, PASSWORD, TOKEN = "annotator@example.org", "ddlens-test-1", "ddlens0test0token0"
runner = CliRunner()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def label_studio(tmp_path_factory):
    """A fresh server with its own data folder; legacy tokens enabled through a login session."""
    if not EXECUTABLE.is_file():
        pytest.skip(f"Label Studio not installed at {EXECUTABLE}: run `make labelstudio`")
    import requests

    data = tmp_path_factory.mktemp("label-studio")
    port = _free_port()
    env = {**os.environ, "LABEL_STUDIO_BASE_DATA_DIR": str(data), "DJANGO_DB": "sqlite"}
    log = (data / "server.log").open("w")
    server = subprocess.Popen([str(EXECUTABLE), "start", "--no-browser", "--internal-host", "127.0.0.1", "--port", str(port),
                               "--username", EMAIL, "--password", PASSWORD, "--user-token", TOKEN],
                              env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                if requests.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"Label Studio did not start: {(data / 'server.log').read_text()[-2000:]}")
            time.sleep(2)
        session = requests.Session()
        session.get(f"{base}/user/login/")
        session.post(f"{base}/user/login/", data={"email": EMAIL, "password": PASSWORD,
                                                  "csrfmiddlewaretoken": session.cookies["csrftoken"]},
                     headers={"Referer": f"{base}/user/login/"})
        enabled = session.post(f"{base}/api/jwt/settings", json={"legacy_api_tokens_enabled": True, "api_tokens_enabled": True},
                               headers={"X-CSRFToken": session.cookies["csrftoken"], "Referer": base})
        assert enabled.status_code in (200, 201), enabled.text
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def test_label_studio_round_trip(label_studio, real_run, tmp_path):
    import requests

    api = requests.Session()
    api.headers["Authorization"] = f"Token {TOKEN}"
    suggested = runner.invoke(app, ["annotate", "suggest", str(real_run), "--n", "4", "--annotations", str(tmp_path),
                                    "--out", str(tmp_path / "s.jsonl")])
    assert suggested.exit_code == 0, suggested.output
    ids = [json.loads(line)["id"] for line in (tmp_path / "s.jsonl").read_text().splitlines()]
    (tmp_path / "ids.txt").write_text("\n".join(ids))
    exported = runner.invoke(app, ["annotate", "export", str(real_run), "--ids", str(tmp_path / "ids.txt"),
                                   "--format", "label-studio", "--out", str(tmp_path / "tasks.json")])
    assert exported.exit_code == 0, exported.output

    project = api.post(f"{label_studio}/api/projects", json={
        "title": "ddlens", "label_config": (tmp_path / "tasks.label_config.xml").read_text()})
    assert project.status_code == 201, project.text  # Label Studio validated our configuration
    pid = project.json()["id"]
    imported = api.post(f"{label_studio}/api/projects/{pid}/import", json=json.loads((tmp_path / "tasks.json").read_text()))
    assert imported.status_code == 201 and imported.json()["task_count"] == 4, imported.text
    assert imported.json()["prediction_count"] == 4  # the model's pre-annotations came along

    tasks = api.get(f"{label_studio}/api/tasks", params={"project": pid}).json()["tasks"]
    given = {}
    for task, (elements, modality, bearer) in zip(tasks[:2], [(["necessary_measures", "risk_assessment"], "conduct", "state"),
                                                              ([], "none", "none")]):
        result = [{"from_name": name, "to_name": "text", "type": "choices", "value": {"choices": values}}
                  for name, values in (("elements", elements), ("modality", [modality]), ("bearer", [bearer])) if values]
        if elements:  # the annotator says why, in the note box of our configuration
            result.append({"from_name": "note", "to_name": "text", "type": "textarea", "value": {"text": ["a hard case"]}})
        made = api.post(f"{label_studio}/api/tasks/{task['id']}/annotations/", json={"result": result})
        assert made.status_code == 201, made.text
        given[task["data"]["passage_id"]] = (sorted(elements), modality, bearer)

    export = api.get(f"{label_studio}/api/projects/{pid}/export", params={"exportType": "JSON", "download_all_tasks": "true"})
    assert export.status_code == 200
    (tmp_path / "export.json").write_text(export.text)
    back = runner.invoke(app, ["annotate", "import", str(tmp_path / "export.json"), "--annotator", "tester",
                               "--run", str(real_run), "--out", str(tmp_path / "labels.jsonl")])
    assert back.exit_code == 0, back.output
    assert "imported 2 labels" in back.output and "2 tasks without labels" in back.output
    records = load_annotations(tmp_path / "labels.jsonl")
    assert {r.id: (sorted(r.elements), r.modality, r.bearer) for r in records} == given
    assert all(r.annotator == "tester" for r in records)
    assert sorted(r.note for r in records) == ["", "a hard case"]
