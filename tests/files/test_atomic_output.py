"""`atomic_output`: a regular file appears only when complete; what is not a regular file is never replaced."""

from __future__ import annotations

import os
import socket
import stat
import threading

import pytest

from twitch_triage.io.files import InputError, atomic_output


def test_a_socket_is_sent_the_bytes_and_stays_a_socket(tmp_path):
    path = tmp_path / "out.sock"
    received: list[bytes] = []
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(path))
        server.listen(1)

        def serve() -> None:
            connection, _ = server.accept()
            with connection, connection.makefile("rb") as stream:
                received.append(stream.read())

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        with atomic_output(path) as sink:
            sink.write(b"case_id\nc1\n")
        thread.join(timeout=30)
    assert received == [b"case_id\nc1\n"]
    assert stat.S_ISSOCK(path.lstat().st_mode)


def test_a_link_to_a_file_not_there_yet_creates_that_file_and_stays_a_link(tmp_path):
    link = tmp_path / "latest.csv"
    link.symlink_to(tmp_path / "run-1.csv")
    with atomic_output(link) as sink:
        sink.write(b"x\n")
    assert link.is_symlink()
    assert (tmp_path / "run-1.csv").read_bytes() == b"x\n"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="making a device node needs root")
def test_a_block_device_is_refused_before_it_is_opened(tmp_path):
    disk = tmp_path / "disk"
    os.mknod(disk, stat.S_IFBLK | 0o600, os.makedev(7, 0))
    with pytest.raises(InputError, match=r"^output path '.*disk' is a block device \(a disk\): choose a file$"):
        with atomic_output(disk):
            pass
    assert stat.S_ISBLK(disk.lstat().st_mode)
