"""Photo benchmarks against a real uvicorn process: `python -m bench.photos`.

Prints three ratios, measured in one run with a SQLite database in a temporary folder:
1. server-side processing of a 12 MP JPEG (checks, hash, decode, EXIF, variants: CPU time;
   and wall time with the atomic, fsynced storage) over a bare full-resolution Pillow decode
   of the same file (goal: at most 1.3);
2. latency of `{ me { id } }` while four 12 MP uploads are processed, over idle (goal: <= 3);
3. peak server RSS while it receives eight 20 MB uploads at once, above idle (goal: < 150 MB).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from PIL import Image

from media import MediaStore, process_image
from schema.relay import global_id
from server.db import apply_migrations, close_db, init_db
from server.domain.accounts import hash_password, token_digest
from server.domain.clock import utc_now
from server.domain.models import AuthToken, Project, Role, User
from server.settings import Settings

MB = 1024 * 1024
BOUNDARY = "----wallchartbench7MA4YWxkTrZu0gW"
UPLOAD = (
    "mutation($input: UploadPhotoInput!) { uploadPhoto(input: $input) "
    "{ photo { id } errors { code message } } }"
)


def photo_like_jpeg(path: Path, seed: int, size: tuple[int, int] = (4000, 3000)) -> Path:
    """A 12 MP JPEG with smooth gradients and sensor-like noise, about 3 MB like a phone's."""
    radial = Image.radial_gradient("L").resize(size)
    linear = Image.linear_gradient("L").rotate(seed * 37 % 360).resize(size)
    noise = Image.effect_noise(size, 18 + seed)
    image = Image.merge("RGB", (radial, linear, Image.blend(radial, noise, 0.5)))
    image = Image.blend(image, Image.merge("RGB", (noise, noise, noise)), 0.25)
    image.save(path, "JPEG", quality=90)
    return path


def timed(work: Callable[[], object], clock: Callable[[], float] = time.perf_counter) -> float:
    """Time of one call on `clock`, in seconds."""
    start = clock()
    work()
    return clock() - start


def processing_ratios(photo: Path, scratch: Path, rounds: int = 7) -> dict[str, float]:
    """Milliseconds of a bare full decode and of the server's processing, and their ratios.

    Processing is what the server does to an upload in its worker thread: sniff, hash, size
    check, decode (at reduced scale), EXIF, both variants. It is measured in CPU time of the
    thread (steady on a shared machine) and in wall time with the atomic, fsynced storage of
    the original and variants added. Runs alternate, so other load slows all alike; each
    ratio is the median of its per-round ratios.
    """
    zone = ZoneInfo("Asia/Shanghai")
    counter = iter(range(1000))

    def bare_decode() -> None:
        with Image.open(photo) as image:
            image.load()

    def pipeline() -> None:
        process_image(photo, max_pixels=60_000_000, zone=zone)

    def pipeline_and_storage() -> None:
        processed = process_image(photo, max_pixels=60_000_000, zone=zone)
        MediaStore(scratch / f"store-{next(counter)}").store(processed, photo)

    bare_decode()
    pipeline_and_storage()
    cpu = [(timed(bare_decode, time.thread_time), timed(pipeline, time.thread_time))]
    wall = [(timed(bare_decode), timed(pipeline_and_storage))]
    for _ in range(rounds - 1):
        cpu.append((timed(bare_decode, time.thread_time), timed(pipeline, time.thread_time)))
        wall.append((timed(bare_decode), timed(pipeline_and_storage)))
    return {
        "decode_cpu_ms": statistics.median(d for d, _ in cpu) * 1000,
        "pipeline_cpu_ms": statistics.median(p for _, p in cpu) * 1000,
        "cpu_ratio": statistics.median(p / d for d, p in cpu),
        "decode_wall_ms": statistics.median(d for d, _ in wall) * 1000,
        "stored_wall_ms": statistics.median(p for _, p in wall) * 1000,
        "wall_ratio": statistics.median(p / d for d, p in wall),
    }


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def prepare_database(env: dict[str, str]) -> tuple[str, str]:
    """Migrate, and create an OFFICE user with a token and a project; (token, project id)."""
    settings = Settings.from_env(env)
    await apply_migrations(settings)
    await init_db(settings)
    try:
        user = await User.create(
            username="bench",
            display_name="Bench",
            role=Role.OFFICE,
            password_hash=hash_password(secrets.token_hex(8)),
        )
        token = secrets.token_urlsafe(24)
        await AuthToken.create(
            user=user, token_hash=token_digest(token), expires_at=utc_now() + timedelta(hours=2)
        )
        project = await Project.create(code="BENCH", name="Bench", responsible_unit="Bench")
    finally:
        await close_db()
    return token, global_id("Project", project.id)


def multipart_body(project_id: str, filename: str, data: bytes) -> bytes:
    """A GraphQL multipart request uploading `data`, as apollo-upload-client sends it."""
    operations = json.dumps(
        {"query": UPLOAD, "variables": {"input": {"projectId": project_id, "file": None}}}
    )
    return b"".join(
        [
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n'
            f"{operations}\r\n".encode(),
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="map"\r\n\r\n'
            '{"1": ["variables.input.file"]}\r\n'.encode(),
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="1"; '
            f'filename="{filename}"\r\nContent-Type: image/jpeg\r\n\r\n'.encode(),
            data,
            f"\r\n--{BOUNDARY}--\r\n".encode(),
        ]
    )


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    """A memory figure of a process from /proc, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for {pid}")


async def me_latency(client: httpx.AsyncClient, headers: dict[str, str]) -> float:
    """Seconds for one `{ me { id } }` round trip."""
    start = time.perf_counter()
    response = await client.post("/graphql", json={"query": "{ me { id } }"}, headers=headers)
    response.raise_for_status()
    return time.perf_counter() - start


async def measure_server(
    base_url: str, pid: int, token: str, project_id: str, photos: list[Path]
) -> dict[str, float]:
    """The latency and memory ratios, against the running server."""
    auth = {"Authorization": f"Bearer {token}"}
    upload_headers = {
        **auth,
        "Apollo-Require-Preflight": "true",
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
    }
    async with httpx.AsyncClient(base_url=base_url, timeout=120) as client:
        for _ in range(20):
            await me_latency(client, auth)
        idle = [await me_latency(client, auth) for _ in range(60)]

        bodies = [multipart_body(project_id, p.name, p.read_bytes()) for p in photos]
        uploads = [
            asyncio.create_task(client.post("/graphql", content=body, headers=upload_headers))
            for body in bodies
        ]
        busy: list[float] = []
        while not all(task.done() for task in uploads):
            busy.append(await me_latency(client, auth))
        for task in uploads:
            result = task.result().json()
            if result["data"]["uploadPhoto"]["errors"]:
                raise RuntimeError(f"upload refused: {result}")

        await asyncio.sleep(0.5)
        idle_rss = rss_kib(pid)
        _reset_peak(pid)
        big = [
            multipart_body(project_id, f"big-{n}.jpg", b"\xff\xd8\xff" + os.urandom(20 * MB - 3))
            for n in range(8)
        ]
        peak = idle_rss
        sending = [
            asyncio.create_task(client.post("/graphql", content=body, headers=upload_headers))
            for body in big
        ]
        while not all(task.done() for task in sending):
            peak = max(peak, rss_kib(pid))
            await asyncio.sleep(0.005)
        for task in sending:
            task.result()
        peak = max(peak, rss_kib(pid, "VmHWM"))
    return {
        "idle_ms": statistics.median(idle) * 1000,
        "busy_ms": statistics.median(busy) * 1000 if busy else float("nan"),
        "busy_samples": len(busy),
        "idle_rss_mb": idle_rss / 1024,
        "peak_above_idle_mb": (peak - idle_rss) / 1024,
    }


def _reset_peak(pid: int) -> None:
    """Reset the kernel's peak-RSS mark of a process (Linux 4.0+), when permitted."""
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/clear_refs").write_text("5")


def wait_until_listening(port: int, server: subprocess.Popen, seconds: float = 30) -> None:
    """Block until the server accepts connections."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("the server exited during start-up")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError("the server did not start listening")


def main() -> None:
    """Run the three measurements and print them."""
    with tempfile.TemporaryDirectory(prefix="wallchart-bench-") as folder:
        root = Path(folder)
        photos = [photo_like_jpeg(root / f"IMG_{n}.jpg", n) for n in range(5)]
        cost = processing_ratios(photos[0], root)
        print(
            f"12 MP JPEG processing: {cost['pipeline_cpu_ms']:.0f} ms vs bare full decode "
            f"{cost['decode_cpu_ms']:.0f} ms CPU -> ratio {cost['cpu_ratio']:.2f} (goal <= 1.3); "
            f"wall time with fsynced storage {cost['stored_wall_ms']:.0f} ms vs "
            f"{cost['decode_wall_ms']:.0f} ms -> {cost['wall_ratio']:.2f}"
        )
        port = free_port()
        env = {
            **os.environ,
            "WALLCHART_DATABASE_URL": f"sqlite://{root / 'bench.sqlite3'}",
            "WALLCHART_MEDIA_ROOT": str(root / "media"),
            "WALLCHART_SECRET_KEY": secrets.token_urlsafe(32),
            "WALLCHART_HOST": "127.0.0.1",
            "WALLCHART_PORT": str(port),
            # One user sends four, then eight uploads at once here: the figures are about the
            # service's CPU and memory, not the per-user limit (default 3, RATE_LIMITED past it).
            "WALLCHART_MAX_UPLOADS_PER_USER": "8",
        }
        token, project_id = asyncio.run(prepare_database(env))
        server = subprocess.Popen(
            [sys.executable, "-m", "server", "serve", "--no-demo"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_until_listening(port, server)
            base_url = f"http://127.0.0.1:{port}"
            figures = asyncio.run(
                measure_server(base_url, server.pid, token, project_id, photos[1:])
            )
        finally:
            server.terminate()
            server.wait(timeout=10)
    latency_ratio = figures["busy_ms"] / figures["idle_ms"]
    print(
        f"me {{ id }} latency: {figures['busy_ms']:.1f} ms during four 12 MP uploads "
        f"({figures['busy_samples']} samples) vs {figures['idle_ms']:.1f} ms idle "
        f"-> ratio {latency_ratio:.2f} (goal <= 3)"
    )
    print(
        f"server RSS receiving eight 20 MB uploads at once: peak "
        f"{figures['peak_above_idle_mb']:.1f} MB above idle ({figures['idle_rss_mb']:.0f} MB) "
        "(goal < 150 MB)"
    )


if __name__ == "__main__":
    main()
