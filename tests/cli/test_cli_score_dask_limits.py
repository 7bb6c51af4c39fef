"""`score --engine dask` at the edges: too many workers, schedulers that are unusable, not Dask, or without
workers: each one line, exit 2, within seconds."""

from __future__ import annotations

import http.server
import socket
import threading
import time

import pytest

from twitch_triage import contract
from twitch_triage.scoring import dask_engine
from twitch_triage import cli

distributed = pytest.importorskip("distributed")

ANSWERS_ROW = {a: "no" for a in contract.ANSWERS} | {contract.DAYS_ANSWER: "3"}


@pytest.fixture()
def one_shard(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    names = list(contract.ANSWERS)
    (folder / "a.csv").write_text(",".join(names) + "\n" + ",".join(ANSWERS_ROW[n] for n in names) + "\n")
    return folder


def score_dask(capsys, folder, out, small_model_dir, *options: str) -> tuple[int, str, float]:
    start = time.perf_counter()
    code = cli.main(["score", str(folder), "-o", str(out), "--model", str(small_model_dir), "--quiet", "--engine",
                     "dask", *options])
    return code, capsys.readouterr().err, time.perf_counter() - start


def test_more_workers_than_the_machine_can_run_are_refused_in_one_line(one_shard, tmp_path, small_model_dir,
                                                                        capsys):
    too_many = dask_engine.max_workers() + 1
    code, err, seconds = score_dask(capsys, one_shard, tmp_path / "out", small_model_dir, "--workers", str(too_many))
    assert code == 2 and f"give at most --workers {too_many - 1}" in err and err.count("\n") == 1, err
    assert seconds < 10


@pytest.mark.parametrize("given", ["0", "-1"])
def test_fewer_than_one_worker_is_refused_with_the_bound_that_holds(one_shard, tmp_path, small_model_dir, capsys,
                                                                    given):
    with pytest.raises(SystemExit) as stop:
        cli.main(["score", str(one_shard), "-o", str(tmp_path / "out"), "--engine", "dask", "--workers", given])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert ">= 1" in err and ">= 0" not in err and err.count("\n") == 1


@pytest.mark.parametrize("address", ["tls://127.0.0.1:1", "ucx://127.0.0.1:1", "inproc://x"])
def test_a_scheduler_address_of_another_protocol_is_refused_in_one_line(one_shard, tmp_path, small_model_dir, capsys,
                                                                        address):
    code, err, _ = score_dask(capsys, one_shard, tmp_path / "out", small_model_dir, "--scheduler", address)
    assert code == 2 and "tcp://" in err and err.count("\n") == 1, err


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_scheduler_port_that_refuses_is_reported_within_seconds(one_shard, tmp_path, small_model_dir, capsys):
    code, err, seconds = score_dask(capsys, one_shard, tmp_path / "out", small_model_dir, "--scheduler",
                                    f"tcp://127.0.0.1:{_free_port()}")
    assert code == 2 and "cannot reach a Dask scheduler" in err and err.count("\n") == 1, err
    assert seconds < 15


def test_a_scheduler_address_that_is_an_http_server_is_one_line_exit_2(one_shard, tmp_path, small_model_dir, capsys):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        code, err, seconds = score_dask(capsys, one_shard, tmp_path / "out", small_model_dir, "--scheduler",
                                        f"tcp://127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
    assert code == 2 and "Dask scheduler" in err and err.count("\n") == 1, err
    assert seconds < 15


def test_a_scheduler_without_workers_is_reported_within_seconds(one_shard, tmp_path, small_model_dir, capsys):
    with distributed.LocalCluster(n_workers=0, processes=False, protocol="tcp", dashboard_address=None) as cluster:
        code, err, seconds = score_dask(capsys, one_shard, tmp_path / "out", small_model_dir, "--scheduler",
                                        cluster.scheduler_address)
    assert code == 2 and "has no worker" in err and err.count("\n") == 1, err
    assert seconds < 20
