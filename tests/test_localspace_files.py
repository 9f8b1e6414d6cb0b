"""Files API on /Volumes and DBFS through the official SDK."""
from __future__ import annotations

import io

import pytest
from databricks.sdk.errors import NotFound, ResourceAlreadyExists, ResourceConflict

from conftest import TEST_TOKEN
from localspace_helpers import client, make_volume


@pytest.fixture
def w(localspace):
    return client(localspace, TEST_TOKEN)


def test_volume_files_upload_download_list_delete(w, localspace):
    make_volume(w, "dev.sbit.landing")
    path = "/Volumes/dev/sbit/landing/payload-1/users.json"
    w.files.upload(path, io.BytesIO(b'{"id": 1}\n'))
    assert w.files.download(path).contents.read() == b'{"id": 1}\n'
    assert (localspace.root / "volumes/dev/sbit/landing/payload-1/users.json").read_bytes() == b'{"id": 1}\n'
    assert w.files.get_metadata(path).content_length == 10
    with pytest.raises(ResourceConflict):
        w.files.upload(path, io.BytesIO(b"again"), overwrite=False)
    w.files.upload(path, io.BytesIO(b"again"), overwrite=True)

    w.files.create_directory("/Volumes/dev/sbit/landing/empty")
    entries = {e.name: e.is_directory for e in w.files.list_directory_contents("/Volumes/dev/sbit/landing")}
    assert entries == {"payload-1": True, "empty": True}
    w.files.delete(path)
    with pytest.raises(NotFound):
        w.files.download(path)
    w.files.delete_directory("/Volumes/dev/sbit/landing/empty")
    with pytest.raises(NotFound):
        w.files.get_directory_metadata("/Volumes/dev/sbit/landing/empty")


def test_dbfs_put_read_blocks_list_delete(w):
    w.dbfs.put("/tmp/st/small.txt", contents="aGVsbG8=")   # "hello"
    assert w.dbfs.read("/tmp/st/small.txt").data == "aGVsbG8="
    with pytest.raises(ResourceAlreadyExists):
        w.dbfs.put("/tmp/st/small.txt", contents="aGVsbG8=")

    big = bytes(range(256)) * 5000                        # 1.28 MB: create/add-block/close
    with w.dbfs.open("dbfs:/tmp/st/big.bin", write=True, overwrite=True) as out:
        out.write(big)
    with w.dbfs.open("/tmp/st/big.bin", read=True) as src:
        assert src.read() == big
    status = w.dbfs.get_status("/tmp/st/big.bin")
    assert status.file_size == len(big) and not status.is_dir
    assert sorted(f.path for f in w.dbfs.list("/tmp/st")) == ["/tmp/st/big.bin", "/tmp/st/small.txt"]

    with pytest.raises(Exception) as too_big:
        w.api_client.do("POST", "/api/2.0/dbfs/put",
                        body={"path": "/tmp/x", "contents": "A" * (1024 * 1024 * 2)})
    assert getattr(too_big.value, "error_code", "") == "MAX_BLOCK_SIZE_EXCEEDED"
    with pytest.raises(Exception) as not_empty:     # the SDK's dbfs.delete checks this itself first
        w.api_client.do("POST", "/api/2.0/dbfs/delete", body={"path": "/tmp/st"})
    assert getattr(not_empty.value, "error_code", "") == "DIRECTORY_NOT_EMPTY"
    w.dbfs.delete("/tmp/st", recursive=True)
    with pytest.raises(NotFound):
        w.dbfs.get_status("/tmp/st")
