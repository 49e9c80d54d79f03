"""The chat-completions provider against a local stub server over a real socket."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from fanlens.sentiment.analysers import VaderAnalyser
from fanlens.sentiment.provider import ProviderAnalyser


class _Stub(BaseHTTPRequestHandler):
    """Answers each request with the next scripted behaviour."""

    script: list[str] = []
    requests: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Stub.requests.append({"path": self.path, "auth": self.headers.get("Authorization"),
                               "body": body})  # fmt: skip
        items = json.loads(body["messages"][-1]["content"])
        mode = _Stub.script.pop(0) if _Stub.script else "ok"
        if mode == "500":
            self._send(500, {"error": {"message": "overloaded"}})
            return
        results = [{"id": it["id"], "label": "positive", "score": 0.8} for it in items]
        content: str = json.dumps({"results": results})
        if mode == "prose":
            content = "Sure! Here are the labels: " + content
        elif mode == "missing_id":
            content = json.dumps({"results": results[1:]})
        elif mode == "bad_label":
            content = json.dumps({"results": [{**r, "label": "happy"} for r in results]})
        elif mode == "no_choices":
            self._send(200, {"id": "x", "object": "chat.completion", "choices": []})
            return
        self._send(200, {
            "id": "chatcmpl-1", "object": "chat.completion", "model": body["model"],
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}],
        })  # fmt: skip

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def stub() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    _Stub.script, _Stub.requests = [], []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


SPANISH = ["Me encanta este video, muchas gracias", "Qué asco de video, lo odio muchísimo"]


def _provider(url: str, **kw: Any) -> ProviderAnalyser:
    return ProviderAnalyser(
        fallback=VaderAnalyser(), url=url, model="tiny-model", key="sk-test",
        languages=kw.pop("languages", None), batch_size=kw.pop("batch_size", 2),
        requests_per_minute=1_000, **kw,
    )  # fmt: skip


def test_configured_languages_go_to_the_provider_in_batches(stub: str) -> None:
    provider = _provider(stub)
    texts = ["I hate this so much", *SPANISH, "Isso é muito bom, obrigado pelo vídeo"]
    verdicts = provider.analyse(texts, ["en", "es", "es", "pt"])
    assert [(v.label, v.analyser) for v in verdicts] == [
        ("negative", "vader"), ("positive", "llm"), ("positive", "llm"), ("positive", "llm"),
    ]  # fmt: skip
    assert verdicts[1].analyser_version == "tiny-model" and verdicts[1].score == 0.8
    assert len(_Stub.requests) == 2  # 3 comments, batches of 2
    first = _Stub.requests[0]
    assert first["path"] == "/v1/chat/completions" and first["auth"] == "Bearer sk-test"
    assert first["body"]["model"] == "tiny-model"
    assert provider.failures == 0 and provider.judged == 3


@pytest.mark.parametrize("mode", ["500", "prose", "missing_id", "bad_label", "no_choices"])
def test_a_failed_batch_keeps_vaders_verdict_and_is_counted(stub: str, mode: str) -> None:
    _Stub.script = [mode]
    provider = _provider(stub, batch_size=2)
    texts = [*SPANISH, "C'est vraiment génial, merci beaucoup pour la vidéo"]
    verdicts = provider.analyse(texts, ["es", "es", "fr"])
    assert [v.label for v in verdicts[:2]] == ["unsupported_language"] * 2  # VADER's verdict
    assert {v.analyser for v in verdicts[:2]} == {"vader"}
    assert (verdicts[2].label, verdicts[2].analyser) == ("positive", "llm")  # next batch fine
    assert provider.failures == 2 and provider.judged == 1


def test_an_unreachable_provider_is_a_counted_failure() -> None:
    provider = _provider("http://127.0.0.1:9", timeout=2)
    verdicts = provider.analyse(SPANISH[:1], ["es"])
    assert verdicts[0].label == "unsupported_language" and provider.failures == 1


def test_only_listed_languages_are_sent(stub: str) -> None:
    provider = _provider(stub, languages=frozenset({"fr", "en"}))
    verdicts = provider.analyse(["I hate this", SPANISH[0]], ["en", "es"])
    assert [v.analyser for v in verdicts] == ["llm", "vader"]
