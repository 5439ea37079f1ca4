"""The wrk driver: the Lua script it writes and the result line it reads."""

from __future__ import annotations

import pytest

from bench.wrk import MARKER, _long_string, lua_script, parse

OUTPUT = """Running 3s test @ http://127.0.0.1:8000/graphql
  2 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.20ms  300.00us   9.00ms   90.00%
  1200 requests in 3.00s, 1.00MB read
Requests/sec:    400.00
WRK_RESULT {"requests": 1200, "duration_us": 3000000, "bytes": 1048576, "connect_errors": 0, \
"read_errors": 1, "write_errors": 0, "status_errors": 2, "timeouts": 3, "bad_answers": 4, \
"latency_p50_us": 1150, "latency_p99_us": 8800}
"""


def test_the_result_line_is_read() -> None:
    result = parse(OUTPUT)
    assert result.requests == 1200
    assert result.seconds == 3.0
    assert result.throughput == 400.0
    assert result.errors == 6
    assert result.bad_answers == 4
    assert result.latency_p50_ms == 1.15
    assert result.latency_p99_ms == 8.8
    assert result.summary()["throughput_rps"] == 400.0


def test_output_without_a_result_line_is_refused() -> None:
    with pytest.raises(ValueError, match="WRK_RESULT"):
        parse("Running 3s test @ http://127.0.0.1:8000/graphql\n")


def test_a_run_of_zero_seconds_has_no_throughput() -> None:
    line = OUTPUT.splitlines()[-1].replace('"duration_us": 3000000', '"duration_us": 0')
    assert parse(line).throughput == 0.0


def test_long_strings_cannot_be_closed_by_their_content() -> None:
    assert _long_string("plain") == "[[plain]]"
    assert _long_string("a]]b") == "[=[a]]b]=]"
    assert _long_string("a]]b]=]c") == "[==[a]]b]=]c]==]"


def test_the_script_posts_the_body_with_the_headers() -> None:
    body = '{"query": "{ me { id } }", "variables": {"x": "]]"}}'
    script = lua_script(body, {"Authorization": "Bearer t0k"})
    assert 'wrk.method = "POST"' in script
    assert f"wrk.body = [=[{body}]=]" in script
    assert "wrk.headers[ [[Content-Type]] ] = [[application/json]]" in script
    assert "wrk.headers[ [[Authorization]] ] = [[Bearer t0k]]" in script
    assert f"MARKER = [[{MARKER}]]" in script
    assert "function done(summary, latency, requests)" in script
