"""Writes the small PyTorch checkpoints the Java reader's tests read (src/test/resources/torch/), with real torch.save,
plus expected.safetensors: every tensor the tests look at, made contiguous, under "FILE:KEY.PATH" names.

  /usr/bin/python3 scripts/make_torch_fixtures.py [OUT_DIR]

CI has no torch: the outputs are committed (a few KB), and this script is how they were made. Rerun it with any torch
(1.13 made the committed files); the Java tests compare what they read against expected.safetensors only.
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import save as save_expected  # noqa: E402  (the repository's one safetensors writer)


def dtypes():
    g = torch.Generator().manual_seed(1)
    grid = torch.arange(12, dtype=torch.float32).reshape(3, 4) / 8 - 0.5
    base = torch.randn(8, generator=g)
    return {
        "f32": torch.randn(2, 3, generator=g),
        "f16": torch.randn(4, generator=g).half(),
        "bf16": torch.randn(3, generator=g).bfloat16(),
        "f64": torch.randn(2, 2, generator=g, dtype=torch.float64),
        "i64": torch.tensor([-3, 0, 1 << 40]),
        "i32": torch.tensor([-7, 123456], dtype=torch.int32),
        "i16": torch.tensor([-300, 301], dtype=torch.int16),
        "i8": torch.tensor([-128, 5, 127], dtype=torch.int8),
        "u8": torch.tensor([0, 1, 128, 255, 7], dtype=torch.uint8),
        "bool": torch.tensor([True, False, True]),
        "scalar": torch.tensor(2.5),
        "empty": torch.zeros(0, 3),
        "transposed": grid.t(),                # strides (1, 4): not contiguous
        "sliced": grid[:, 1::2],               # strides (4, 2), offset 1
        "row": grid[1],                        # a view with a storage offset, shares grid's storage
        "base": base,
        "base_view": base[2:5],                # shares base's storage
        "base_again": base,                    # the same tensor twice (memo)
    }


class Small(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(2, 3, 3)
        self.norm = torch.nn.BatchNorm2d(3)
        self.head = torch.nn.Linear(3, 2)


def nested():
    torch.manual_seed(2)
    model = Small()
    ema = Small()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.99))
    loss = model.head(model.norm(model.conv(torch.randn(2, 2, 5, 5))).mean((2, 3))).sum()
    loss.backward()
    opt.step()
    return {"model": model.state_dict(), "ema": ema.state_dict(), "optimizer": opt.state_dict(), "step": 7,
            "args": {"lr": 0.1, "name": "tiny", "betas": (0.9, 0.99), "flag": True, "none": None, "big": 1 << 70}}, model


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "src/test/resources/torch"
    os.makedirs(out, exist_ok=True)
    expected = {}

    d = dtypes()
    torch.save(d, os.path.join(out, "dtypes.pt"))
    torch.save(d, os.path.join(out, "dtypes_legacy.pt"), _use_new_zipfile_serialization=False)
    torch.save(d, os.path.join(out, "dtypes_proto4.pt"), pickle_protocol=4)
    for k, v in d.items():
        expected["dtypes:" + k] = v

    # the smallest files, for the fuzz tests that cut a file at every length
    tiny = {"w": (torch.arange(6, dtype=torch.float32) / 4).reshape(2, 3).t(), "b": torch.tensor([1.5, -2.0]).half()}
    torch.save(tiny, os.path.join(out, "tiny.pt"))
    torch.save(tiny, os.path.join(out, "tiny_legacy.pt"), _use_new_zipfile_serialization=False)
    for k, v in tiny.items():
        expected["tiny:" + k] = v

    n, model = nested()
    torch.save(n, os.path.join(out, "nested.pt"))
    torch.save(n, os.path.join(out, "nested_legacy.pt"), _use_new_zipfile_serialization=False)
    for part in ("model", "ema"):
        for k, v in n[part].items():
            expected["nested:" + part + "." + k] = v
    # named_parameters() holds nn.Parameter objects (torch._utils._rebuild_parameter), under a state_dict key
    torch.save({"state_dict": dict(model.named_parameters())}, os.path.join(out, "params.pt"))
    for k, v in model.named_parameters():
        expected["params:state_dict." + k] = v

    save_expected(expected, os.path.join(out, "expected.safetensors"))
    for f in sorted(os.listdir(out)):
        print(f"{f}: {os.path.getsize(os.path.join(out, f))} bytes")


if __name__ == "__main__":
    main()
