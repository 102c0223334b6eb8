#!/usr/bin/env python3
"""PyTorch + timm companion of `Benchmarks measure`: the same workloads, the same JSON line schema.

Runs each zoo model (timm names) in PyTorch eager mode and, where available, under torch.compile, alternating the
implementations round by round so that both see the same machine state, and prints one JSON line per
implementation, model, batch and round, with the fields `measure` prints. Pair the two outputs by
(model, mode, dtype, batch, size, channels_last):

    dotnet run -c Release -p:TorchBackend=cuda --project samples/Benchmarks -- measure --model resnest50d \
        --device cuda --dtype bf16 --batch 64 --size 224 --channels-last on --rounds 3 > dotnet.jsonl
    python3 samples/Benchmarks/pytorch_reference.py --model resnest50d --device cuda --dtype bf16 --batch 64 \
        --size 224 --channels-last on --rounds 3 > pytorch.jsonl

Workloads, as in `measure`: inference is eval mode under no_grad; half-precision inference converts the model to
the dtype and keeps BatchNorm in float32 (the library's HalfPrecision; --bn-fp32 off converts everything, timm's
"pure" bf16); a training step is SGD (lr 0.01, momentum 0.9) on cross-entropy against random labels, in float32,
or for half precision with torch.autocast and, for float16, a GradScaler (PyTorch's usual path; the library uses
float32 master weights instead). Throughput is --iters steps between two synchronisations; latency is measured
separately with a synchronisation after every step; --warmup steps (at least 1) are never timed.

peak_memory_mb: torch.cuda.max_memory_reserved() on CUDA, a process high-water mark like the library's figure;
the process's peak resident set on the CPU.

--dry-run prints the planned measurements (timing fields null) without importing torch or timm.
"""

import argparse
import contextlib
import json
import statistics
import sys
import time

DTYPES = ("fp32", "bf16", "fp16")


def positive(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got '{text}'")
    return value


def on_off(text):
    if text not in ("on", "off"):
        raise argparse.ArgumentTypeError(f"must be on or off, got '{text}'")
    return text == "on"


def parse_args(argv):
    parser = argparse.ArgumentParser(description="PyTorch + timm reference for `Benchmarks measure`.")
    parser.add_argument("--model", default="resnest50d", help="comma-separated timm model names")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    parser.add_argument("--dtype", default="fp32", choices=DTYPES)
    parser.add_argument("--batch", default="1", help="comma-separated batch sizes")
    parser.add_argument("--size", type=positive, default=224)
    parser.add_argument("--mode", default="inference", choices=("inference", "train"))
    parser.add_argument("--warmup", type=positive, default=3, help="untimed steps, at least 1")
    parser.add_argument("--iters", type=positive, default=10)
    parser.add_argument("--rounds", type=positive, default=1)
    parser.add_argument("--threads", type=positive, default=None)
    parser.add_argument("--cudnn-benchmark", type=on_off, default=None)
    parser.add_argument("--tf32", type=on_off, default=None)
    parser.add_argument("--channels-last", type=on_off, default=False)
    parser.add_argument("--bn-fp32", type=on_off, default=True, help="keep BatchNorm float32 in half precision (default on)")
    parser.add_argument("--compile", type=on_off, default=True, help="also run torch.compile where available (default on)")
    parser.add_argument("--dry-run", action="store_true", help="print the plan without importing torch")
    args = parser.parse_args(argv)
    try:
        args.models = [m for m in args.model.split(",") if m]
        args.batches = [positive(b) for b in args.batch.split(",") if b]
    except (ValueError, argparse.ArgumentTypeError) as error:
        parser.error(f"--batch: {error}")
    if not args.models or not args.batches:
        parser.error("--model and --batch need at least one value")
    device = args.device
    if not (device in ("cpu", "cuda") or (device.startswith("cuda:") and device[5:].isdigit())):
        parser.error(f"--device must be cpu, cuda or cuda:N, got '{device}'")
    return args


def record(args, implementation, model, batch, round_index, timing, switches, memory, threads):
    return {
        "implementation": implementation,
        "model": model,
        "mode": args.mode,
        "device": args.device,
        "dtype": args.dtype,
        "batch": batch,
        "size": args.size,
        "round": round_index,
        "img_per_s": timing.get("img_per_s"),
        "ms_per_step": timing.get("ms_per_step"),
        "latency_ms_median": timing.get("latency_ms_median"),
        "latency_ms_min": timing.get("latency_ms_min"),
        "warmup": args.warmup,
        "iters": args.iters,
        "cudnn_benchmark": switches.get("cudnn_benchmark"),
        "tf32": switches.get("tf32"),
        "matmul_tf32": switches.get("matmul_tf32"),
        "channels_last": args.channels_last,
        "peak_memory_mb": memory[0],
        "peak_memory_kind": memory[1],
        "threads": threads,
    }


def implementations(args):
    return ["pytorch-eager"] + (["pytorch-compile"] if args.compile else [])


def dry_run(args):
    for model in args.models:
        for round_index in range(1, args.rounds + 1):
            for batch in args.batches:
                for implementation in implementations(args):
                    print(json.dumps(record(args, implementation, model, batch, round_index, {}, {}, (None, "dry run"), args.threads)))
    return 0


def run(args):
    import torch
    import timm

    device = torch.device(args.device)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            print(f"--device {args.device}: CUDA is not available to this PyTorch.", file=sys.stderr)
            return 2
        if (device.index or 0) >= torch.cuda.device_count():
            print(f"--device {args.device}: this machine has {torch.cuda.device_count()} CUDA device(s).", file=sys.stderr)
            return 2
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.cudnn_benchmark is not None:
        torch.backends.cudnn.benchmark = args.cudnn_benchmark
    if args.tf32 is not None:
        torch.backends.cudnn.allow_tf32 = args.tf32
        torch.backends.cuda.matmul.allow_tf32 = args.tf32
    dtype = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[args.dtype]
    half = dtype != torch.float32
    memory_format = torch.channels_last if args.channels_last else torch.contiguous_format
    can_compile = args.compile and hasattr(torch, "compile")

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    def build(name, compiled):
        torch.manual_seed(0)
        model = timm.create_model(name, pretrained=False).to(device)
        if half and args.mode == "inference":
            model = model.to(dtype)
            if args.bn_fp32:
                for module in model.modules():
                    if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
                        module.float()
        model = model.to(memory_format=memory_format)
        model.train(args.mode == "train")
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9) if args.mode == "train" else None
        return (torch.compile(model) if compiled else model), optimizer

    def stepper(model, optimizer, batch):
        input_dtype = dtype if (half and args.mode == "inference") else torch.float32
        images = torch.randn(batch, 3, args.size, args.size, device=device, dtype=input_dtype).contiguous(memory_format=memory_format)
        labels = torch.randint(0, 1000, (batch,), device=device)
        scaler = grad_scaler(device) if (args.mode == "train" and dtype == torch.float16) else None

        def step():
            if optimizer is None:
                with torch.no_grad():
                    model(images)
                return
            optimizer.zero_grad(set_to_none=True)
            # No autocast at all in float32: PyTorch 1.13 rejects torch.autocast(..., enabled=False) for float32 on the CPU.
            with torch.autocast(device.type, dtype=dtype) if half else contextlib.nullcontext():
                loss = torch.nn.functional.cross_entropy(model(images).float(), labels)
            if scaler is None:
                loss.backward()
                optimizer.step()
            else:
                scaler.scale(loss).backward()
                scaler.step(optimizer)
                scaler.update()
        return step

    def measure(step, batch):
        for _ in range(args.warmup):
            step()
        sync()
        start = time.perf_counter()
        for _ in range(args.iters):
            step()
        sync()
        total = (time.perf_counter() - start) * 1000
        latencies = []
        for _ in range(args.iters):
            begin = time.perf_counter()
            step()
            sync()
            latencies.append((time.perf_counter() - begin) * 1000)
        return {
            "img_per_s": round(batch * args.iters * 1000 / total, 2),
            "ms_per_step": round(total / args.iters, 3),
            "latency_ms_median": round(statistics.median(latencies), 3),
            "latency_ms_min": round(min(latencies), 3),
        }

    def peak_memory():
        if device.type == "cuda":
            return round(torch.cuda.max_memory_reserved(device) / 2**20, 1), "torch.cuda.max_memory_reserved, process high-water mark"
        import resource
        return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1), "process peak working set"

    def switches():
        return {
            "cudnn_benchmark": bool(torch.backends.cudnn.benchmark),
            "tf32": bool(torch.backends.cudnn.allow_tf32),
            "matmul_tf32": bool(torch.backends.cuda.matmul.allow_tf32),
        }

    variants = [("pytorch-eager", False)] + ([("pytorch-compile", True)] if can_compile else [])
    for model_name in args.models:
        built = {name: build(model_name, compiled) for name, compiled in variants}
        steps = {(name, batch): stepper(*built[name], batch) for name, _ in variants for batch in args.batches}
        # Alternate: each round runs every implementation once, so drifts (clocks, temperature) hit both alike.
        for round_index in range(1, args.rounds + 1):
            for batch in args.batches:
                for name, _ in variants:
                    timing = measure(steps[(name, batch)], batch)
                    line = record(args, name, model_name, batch, round_index, timing, switches(), peak_memory(), torch.get_num_threads())
                    print(json.dumps(line), flush=True)
    return 0


def grad_scaler(device):
    """float16 loss scaling: torch.amp.GradScaler where it exists (PyTorch 2.3+), else the CUDA one of older releases."""
    import torch
    if hasattr(torch.amp, "GradScaler"):
        return torch.amp.GradScaler(device.type)
    return torch.cuda.amp.GradScaler()


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    return dry_run(args) if args.dry_run else run(args)


if __name__ == "__main__":
    sys.exit(main())
