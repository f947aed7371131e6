"""The hub's HTTP API, served by uvicorn on 127.0.0.1, through a real HTTP client."""

from __future__ import annotations

import hashlib
import http.client
import json
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from hub_helpers import write

from fieldkit.core.errors import FieldkitError
from fieldkit.hub import Hub, HubServer
from fieldkit.hub.schemas import Manifest
from fieldkit.hub.tokens import VERIFIED_FOR_S, RepTokens


def manifest(client: httpx.Client) -> Manifest:
    response = client.get("/api/v1/manifest")
    assert response.status_code == 200
    return Manifest.model_validate(response.json())


def doc_id(client: httpx.Client, path: str) -> str:
    return next(doc.id for doc in manifest(client).documents if doc.path == path)


def test_health_needs_no_token(server: HubServer, hub: Hub) -> None:
    response = httpx.get(f"{server.url}/api/v1/health")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["generation"] == hub.store.generation().number
    assert body["version"]


def test_openapi_describes_the_api(server: HubServer) -> None:
    response = httpx.get(f"{server.url}/api/v1/openapi.json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/v1/health", "/api/v1/manifest", "/api/v1/files/{doc_id}"} <= set(paths)
    assert "application/x-fieldkit-files" in paths["/api/v1/files"]["post"]["responses"]["200"][
        "content"
    ]


def test_no_call_without_a_valid_token(root: Path, server: HubServer, hub: Hub) -> None:
    write(root, "a.pdf", b"a")
    hub.rescan()
    doc = hub.store.live_documents()[0]
    bob = hub.reps.add("bob")
    hub.reps.revoke("bob")

    for headers in [
        {},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": f"Bearer {bob}"},
        {"Authorization": f"Basic {bob}"},
    ]:
        for path in ["/api/v1/manifest", f"/api/v1/files/{doc.id}"]:
            response = httpx.get(server.url + path, headers=headers)
            assert response.status_code == 401, (headers, path)
            assert response.json()["detail"]
            assert response.headers["www-authenticate"] == "Bearer"


def test_manifest_lists_documents_with_metadata_and_history(
    root: Path, hub: Hub, client: httpx.Client
) -> None:
    write(root, "Decks/Product Overview.pptx", b"deck one")
    write(root, "Pricing 2026.xlsx", b"prices")
    write(
        root,
        "Pricing 2026.xlsx.meta.toml",
        'title = "Price sheet 2026"\ntags = ["pricing", "emea"]\naudience = ["enterprise"]\n'
        "released = 2026-01-15\nexpires = 2026-06-30\n"
        'superseded_by = "Decks/Product Overview.pptx"\nnotes = "Q4 prices"',
    )
    hub.rescan()
    (root / "Decks/Product Overview.pptx").write_bytes(b"deck two, longer")
    hub.rescan()

    result = manifest(client)

    assert result.generation == hub.store.generation().number
    assert result.generated_at.endswith("Z")
    by_path = {doc.path: doc for doc in result.documents}
    assert list(by_path) == ["Decks/Product Overview.pptx", "Pricing 2026.xlsx"]
    deck, prices = by_path["Decks/Product Overview.pptx"], by_path["Pricing 2026.xlsx"]
    assert deck.version == 2
    assert deck.sha256 == hashlib.sha256(b"deck two, longer").hexdigest()
    assert deck.size == len(b"deck two, longer")
    assert [(h.version, h.sha256) for h in deck.history] == [
        (1, hashlib.sha256(b"deck one").hexdigest())
    ]
    assert prices.title == "Price sheet 2026"
    assert (prices.tags, prices.audience) == (["pricing", "emea"], ["enterprise"])
    assert (prices.released, prices.expires) == ("2026-01-15", "2026-06-30")
    assert prices.superseded_by == deck.id
    assert prices.notes == "Q4 prices"
    assert (prices.withdrawn, prices.withdrawn_reason) == (False, None)


def test_etag_and_if_none_match(root: Path, hub: Hub, client: httpx.Client) -> None:
    write(root, "a.pdf", b"a")
    hub.rescan()
    first = client.get("/api/v1/manifest")
    etag = first.headers["etag"]
    generation = first.json()["generation"]
    assert etag.startswith(f'"{generation}-') and etag.endswith('"')

    unchanged = client.get("/api/v1/manifest", headers={"If-None-Match": etag})
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged.headers["etag"] == etag

    write(root, "a.pdf.meta.toml", 'title = "A"')
    hub.rescan()
    changed = client.get("/api/v1/manifest", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert changed.json()["generation"] == generation + 1
    assert changed.json()["documents"][0]["title"] == "A"


def test_manifest_is_gzipped_when_accepted(root: Path, hub: Hub, client: httpx.Client) -> None:
    for number in range(50):
        write(root, f"Decks/Deck {number:03}.pptx", f"deck {number}")
    hub.rescan()

    zipped = client.get("/api/v1/manifest", headers={"Accept-Encoding": "gzip"})
    plain = client.get("/api/v1/manifest", headers={"Accept-Encoding": "identity"})

    assert zipped.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    assert zipped.json() == plain.json()
    assert int(zipped.headers["content-length"]) * 3 < int(plain.headers["content-length"])
    assert zipped.headers["etag"] == plain.headers["etag"]


def test_download_with_hash_headers_and_ranges(
    root: Path, hub: Hub, client: httpx.Client
) -> None:
    content = bytes(range(256)) * 4096  # 1 MiB
    write(root, "Videos/demo.bin", content)
    hub.rescan()
    doc = doc_id(client, "Videos/demo.bin")
    sha = hashlib.sha256(content).hexdigest()

    full = client.get(f"/api/v1/files/{doc}")
    assert full.status_code == 200
    assert full.content == content
    assert full.headers["etag"] == f'"{sha}"'
    assert full.headers["x-content-sha256"] == sha
    assert full.headers["content-length"] == str(len(content))
    assert full.headers["accept-ranges"] == "bytes"

    tail = client.get(f"/api/v1/files/{doc}", headers={"Range": "bytes=1000-"})
    assert tail.status_code == 206
    assert tail.content == content[1000:]
    assert tail.headers["content-range"] == f"bytes 1000-{len(content) - 1}/{len(content)}"
    assert tail.headers["x-content-sha256"] == sha

    middle = client.get(f"/api/v1/files/{doc}", headers={"Range": "bytes=10-19"})
    assert middle.status_code == 206
    assert middle.content == content[10:20]

    beyond = client.get(f"/api/v1/files/{doc}", headers={"Range": f"bytes={len(content)}-"})
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{len(content)}"


def test_a_file_of_several_chunks_streams_whole_and_in_ranges(
    root: Path, hub: Hub, client: httpx.Client
) -> None:
    content = bytes(range(251)) * 10_000  # 2.4 MiB: three reads of 1 MiB
    write(root, "Videos/long.bin", content)
    hub.rescan()
    doc = doc_id(client, "Videos/long.bin")

    full = client.get(f"/api/v1/files/{doc}")
    assert full.status_code == 200
    assert full.content == content
    assert full.headers["content-length"] == str(len(content))

    across = client.get(f"/api/v1/files/{doc}", headers={"Range": "bytes=1048000-2097200"})
    assert across.status_code == 206
    assert across.content == content[1048000:2097201]

    tail = client.get(f"/api/v1/files/{doc}", headers={"Range": "bytes=2000000-"})
    assert tail.status_code == 206
    assert tail.content == content[2000000:]


def read_frames(body: bytes) -> list[tuple[dict[str, object], bytes]]:
    """``POST /files``'s answer as (header, bytes) pairs."""
    frames = []
    while body:
        line, _, body = body.partition(b"\n")
        header = json.loads(line)
        size = int(header.get("size", 0)) if header["status"] == 200 else 0
        frames.append((header, body[:size]))
        body = body[size:]
    return frames


def test_several_files_in_one_answer_in_the_order_asked(
    root: Path, hub: Hub, client: httpx.Client
) -> None:
    small = {f"Notes/{n}.txt": f"note {n}\n".encode() * (n + 1) for n in range(5)}
    for rel, content in small.items():
        write(root, rel, content)
    big = bytes(range(251)) * 10_000  # 2.4 MiB: sent in several reads
    write(root, "Videos/long.bin", big)
    path = write(root, "a.pdf", b"one")
    hub.rescan()
    path.write_bytes(b"two!")
    hub.rescan()
    ids = {doc.path: doc.id for doc in manifest(client).documents}
    asked = [
        {"id": ids["Notes/3.txt"], "version": 1},
        {"id": ids["a.pdf"], "version": 1},  # an earlier version: its bytes are gone
        {"id": ids["Videos/long.bin"], "version": 1},
        {"id": "d_000000000000", "version": 1},  # unknown
        {"id": ids["Notes/0.txt"], "version": 1},
        {"id": ids["a.pdf"], "version": 2},
    ]

    response = client.post("/api/v1/files", json={"files": asked})

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-fieldkit-files"
    # Its length is known up front: no chunked framing for uvicorn to copy every byte into.
    assert response.headers["content-length"] == str(len(response.content))
    assert "transfer-encoding" not in response.headers
    frames = read_frames(response.content)
    statuses = [200, 410, 200, 404, 200, 200]
    assert [(h["id"], h["version"], h["status"]) for h, _ in frames] == [
        (a["id"], a["version"], status) for a, status in zip(asked, statuses, strict=True)
    ]
    contents = [small["Notes/3.txt"], b"", big, b"", small["Notes/0.txt"], b"two!"]
    assert [data for _, data in frames] == contents
    for (header, _data), content in zip(frames, contents, strict=True):
        if header["status"] == 200:
            assert header["size"] == len(content)
            assert header["sha256"] == hashlib.sha256(content).hexdigest()
        else:
            assert header["detail"]


def test_asking_for_several_files_is_checked(
    root: Path, server: HubServer, hub: Hub, client: httpx.Client
) -> None:
    write(root, "a.pdf", b"a")
    hub.rescan()
    doc = doc_id(client, "a.pdf")
    wanted = {"files": [{"id": doc, "version": 1}]}

    assert httpx.post(f"{server.url}/api/v1/files", json=wanted).status_code == 401
    for body in [{}, {"files": []}, {"files": [{"id": doc, "version": 0}]},
                 {"files": [{"id": doc, "version": 1}] * 1001}]:
        response = client.post("/api/v1/files", json=body)
        assert response.status_code == 422, body
    assert client.post("/api/v1/files", json=wanted).status_code == 200


def test_revoking_a_token_in_use_refuses_it_at_once(
    root: Path, server: HubServer, hub: Hub
) -> None:
    write(root, "a.pdf", b"a")
    hub.rescan()
    doc = hub.store.live_documents()[0]
    carol = hub.reps.add("carol")
    headers = {"Authorization": f"Bearer {carol}"}
    url = f"{server.url}/api/v1/files/{doc.id}"
    assert httpx.get(url, headers=headers).status_code == 200

    hub.reps.revoke("carol")

    assert httpx.get(url, headers=headers).status_code == 401


def test_a_token_revoked_by_another_process_is_refused_within_seconds(
    root: Path, server: HubServer, hub: Hub
) -> None:
    write(root, "a.pdf", b"a")
    hub.rescan()
    dave = hub.reps.add("dave")
    headers = {"Authorization": f"Bearer {dave}"}
    url = f"{server.url}/api/v1/manifest"
    assert httpx.get(url, headers=headers).status_code == 200

    RepTokens(hub.engine).revoke("dave")  # as `fieldkit hub revoke-rep` does, from outside

    deadline = time.monotonic() + VERIFIED_FOR_S + 5
    while httpx.get(url, headers=headers).status_code == 200:
        assert time.monotonic() < deadline, "the revoked token was still accepted"
    assert httpx.get(url, headers=headers).status_code == 401


def test_versions_unknown_ids_and_gone_bytes(root: Path, hub: Hub, client: httpx.Client) -> None:
    path = write(root, "a.pdf", b"one")
    hub.rescan()
    doc = doc_id(client, "a.pdf")
    path.write_bytes(b"two!")
    hub.rescan()

    assert client.get(f"/api/v1/files/{doc}", params={"version": 2}).content == b"two!"
    gone = client.get(f"/api/v1/files/{doc}", params={"version": 1})
    assert gone.status_code == 410
    assert "no longer on the hub" in gone.json()["detail"]
    assert client.get(f"/api/v1/files/{doc}", params={"version": 3}).status_code == 404
    assert client.get("/api/v1/files/d_000000000000").status_code == 404
    assert client.get(f"/api/v1/files/{doc}", params={"version": 0}).status_code == 422


def test_file_changed_since_the_scan_is_rescanned_before_serving(
    root: Path, hub: Hub, client: httpx.Client
) -> None:
    path = write(root, "a.pdf", b"scanned bytes")
    hub.rescan()
    doc = doc_id(client, "a.pdf")

    path.write_bytes(b"edited after the scan")
    response = client.get(f"/api/v1/files/{doc}")

    assert response.status_code == 200
    assert response.content == b"edited after the scan"
    assert response.headers["x-content-sha256"] == hashlib.sha256(response.content).hexdigest()
    assert manifest(client).documents[0].version == 2


def raw_get(server: HubServer, target: str, token: str) -> tuple[int, bytes]:
    """A request with the path sent exactly as given (no client-side normalisation)."""
    parts = urlsplit(server.url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    try:
        connection.request("GET", target, headers={"Authorization": f"Bearer {token}"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_nothing_outside_the_root_is_served(
    root: Path, hub: Hub, server: HubServer, token: str, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"TOP SECRET")
    write(root, "Decks/deck.pdf", b"deck")
    write(root, "Decks/deck.pdf.meta.toml", 'title = "Deck"')
    (root / "escape.txt").symlink_to(secret)
    hub.rescan()
    doc = hub.store.live_documents()[0].id

    for target in [
        "/api/v1/files/../../secret.txt",
        "/api/v1/files/..%2f..%2fsecret.txt",
        "/api/v1/files/%2e%2e%2f%2e%2e%2fsecret.txt",
        "/api/v1/files/%2e%2e",
        f"/api/v1/files/{secret}",
        f"/api/v1/files/{doc}/../../../secret.txt",
        "/api/v1/files/escape.txt",
        "/api/v1/files/Decks%2fdeck.pdf.meta.toml",
    ]:
        status, body = raw_get(server, target, token)
        assert status == 404, target
        assert b"SECRET" not in body and b"Deck" not in body

    # The document itself turns into a link leaving the root after the scan.
    (root / "Decks/deck.pdf").unlink()
    (root / "Decks/deck.pdf").symlink_to(secret)
    status, body = raw_get(server, f"/api/v1/files/{doc}", token)
    assert status == 404
    assert b"SECRET" not in body
    assert [d.path for d in hub.store.live_documents()] == []


def test_stopping_with_abort_cuts_open_downloads(root: Path, hub: Hub, token: str) -> None:
    write(root, "big.bin", b"\0" * (64 * 1024 * 1024))
    server = HubServer(hub).start()
    try:
        with httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {token}"}
        ) as client:
            doc = doc_id(client, "big.bin")
            with client.stream("GET", f"/api/v1/files/{doc}") as response:
                chunks = response.iter_raw()
                received = len(next(chunks))
                server.stop(abort=True)
                with pytest.raises(httpx.TransportError):
                    for chunk in chunks:
                        received += len(chunk)
        assert received < 64 * 1024 * 1024
    finally:
        server.stop()


def test_a_busy_port_is_a_clear_error(server: HubServer, hub: Hub) -> None:
    port = urlsplit(server.url).port or 0
    with pytest.raises(FieldkitError, match="--port"):
        HubServer(hub, port=port)
