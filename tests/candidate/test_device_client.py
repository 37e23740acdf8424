"""The load and benchmark device (tests/live.AsyncCandidate) keeps trying where the page keeps trying, so a benchmark's
failures are candidates who would have lost something, and its retries are counted apart."""

from __future__ import annotations

import asyncio

from tests.live import AsyncCandidate, LiveServer, questions


def test_a_device_whose_server_died_connects_again_starts_again_and_its_answer_lands(server: LiveServer) -> None:
    async def sit() -> None:
        device = await AsyncCandidate.sign_in(server.url, server.candidate(2), timeout=60)
        try:
            await device.prefetch()
            st, paper = await device.start()
            q = questions(paper)[0]
            option, seq = q["options"][1]["id"], st["seq"] + 1
            reconnects = AsyncCandidate.reconnects

            server.kill()  # the answer is sent into a dead connection, then waits for the server to come back
            back = asyncio.get_running_loop().run_in_executor(None, server.start)
            ack = await device.persist("answer", {"question": q["id"], "option": option, "seq": seq})
            await back

            assert ack == {"ok": True, "applied": True, "seq": seq, "option": option}, ack
            assert AsyncCandidate.reconnects > reconnects, "the answer went on a new connection"
            assert device.replay is False, "the new connection started again before the answer (the page's order)"
            again = await device.persist("start")
            assert again["answers"] == {q["id"]: option}
            assert again["key"] == st["key"] and again["deadline"] == st["deadline"]
            resent = await device.persist("answer", {"question": q["id"], "option": option, "seq": seq})
            assert resent == {**ack, "duplicate": True}, "sending the same again changes nothing"
        finally:
            await device.close()

    asyncio.run(sit())


def test_a_refused_connection_is_not_tried_again(sqlite_server: LiveServer) -> None:
    async def refused() -> str:
        try:
            await AsyncCandidate.sign_in(sqlite_server.url, None, timeout=60)
        except Exception as exc:  # noqa: BLE001 - the refusal's text is the assertion
            return str(exc)
        return "connected"

    reconnects = AsyncCandidate.reconnects
    said = asyncio.run(asyncio.wait_for(refused(), 10))  # a retry loop would run the 60 s budget out
    assert said.startswith("One or more namespaces failed to connect"), said
    assert AsyncCandidate.reconnects == reconnects
