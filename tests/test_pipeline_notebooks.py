"""The executed copy of a notebook does not depend on how the kernel flushed its output."""

from __future__ import annotations

from leadblackhole.pipeline.notebooks import coalesce_streams


def _stream(name, text):
    return {"output_type": "stream", "name": name, "text": text}


def test_consecutive_streams_of_one_name_are_joined():
    cells = [
        {
            "cell_type": "code",
            "outputs": [
                _stream("stdout", "12 of 12 intervals cover the truth"),
                _stream("stdout", ["\n"]),
                _stream("stderr", "a warning\n"),
                _stream("stdout", "after\n"),
                {"output_type": "execute_result", "data": {"text/plain": "1"}},
                _stream("stdout", "x"),
                _stream("stdout", "y\n"),
            ],
        },
        {"cell_type": "markdown", "source": "text"},
    ]
    coalesce_streams(cells)
    assert cells[0]["outputs"] == [
        _stream("stdout", "12 of 12 intervals cover the truth\n"),
        _stream("stderr", "a warning\n"),
        _stream("stdout", "after\n"),
        {"output_type": "execute_result", "data": {"text/plain": "1"}},
        _stream("stdout", "xy\n"),
    ]
    assert cells[1] == {"cell_type": "markdown", "source": "text"}


def test_outputs_already_whole_are_left_as_they_are():
    outputs = [_stream("stdout", "one\n"), {"output_type": "display_data", "data": {}}]
    cells = [{"cell_type": "code", "outputs": list(outputs)}]
    coalesce_streams(cells)
    assert cells[0]["outputs"] == outputs
