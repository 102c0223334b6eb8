#!/usr/bin/env python3
"""PyTorch + torchvision companion of DetectorBenchmarks and DetectionOpBenchmarks: the same workloads, timed in eager mode.

    python3 samples/Benchmarks/pytorch_detection_reference.py --threads 2 --rounds 5

Workloads (as the C# benchmarks build them, each with its own seeded random inputs):
- detect: the model in eval mode under no_grad on one 800 x 1066 image (torchvision's initialisation, seed 0);
- train-step (with --train-step): model in train mode, losses on that image with two boxes, backward, SGD step (lr 0.01);
- nms: torchvision.ops.nms of 5,000 boxes at IoU 0.7 (torchvision's compiled kernel);
- roi_align: 1,000 rois to 7 x 7 from a [1, 256, 200, 272] map at scale 1/4, sampling ratio 2 and adaptive (0).
Prints one line per workload: the median and the individual times in milliseconds, after one untimed warm-up.
"""

import argparse
import statistics
import time

import torch
import torchvision


def timed(rounds, action):
    action()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), times


def random_boxes(count, height, width):
    x1 = torch.rand(count) * width
    y1 = torch.rand(count) * height
    x2 = x1 + torch.rand(count) * (width / 4) + 1
    y2 = y1 + torch.rand(count) * (height / 4) + 1
    return torch.stack([x1, y1, x2, y2], 1), torch.rand(count)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--models", default="fasterrcnn_resnet50_fpn")
    parser.add_argument("--train-step", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, torchvision {torchvision.__version__}, {torch.get_num_threads()} threads")

    for name in args.models.split(","):
        torch.manual_seed(0)
        model = getattr(torchvision.models.detection, name)(weights=None, weights_backbone=None).eval()
        image = torch.rand(3, 800, 1066)

        def detect():
            with torch.no_grad():
                model([image])

        median, times = timed(args.rounds, detect)
        print(f"{name} detect 800x1066: median {median:.1f} ms  {[round(t, 1) for t in times]}")
        if args.train_step:
            target = {"boxes": torch.tensor([[100.0, 120.0, 400.0, 500.0], [500.0, 300.0, 900.0, 700.0]]), "labels": torch.tensor([1, 2])}
            if name.startswith("maskrcnn"):
                masks = torch.zeros(2, 800, 1066, dtype=torch.uint8)
                masks[0, 120:500, 100:400] = 1
                masks[1, 300:700, 500:900] = 1
                target["masks"] = masks
            optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.01)

            def step():
                model.train()
                losses = model([image], [target])
                total = sum(losses.values())
                optimizer.zero_grad()
                total.backward()
                optimizer.step()

            median, times = timed(args.rounds, step)
            print(f"{name} train step 800x1066: median {median:.1f} ms  {[round(t, 1) for t in times]}")

    torch.manual_seed(0)
    boxes, scores = random_boxes(5000, 800, 1088)
    median, times = timed(args.rounds * 10, lambda: torchvision.ops.nms(boxes, scores, 0.7))
    print(f"nms 5000 boxes: median {median:.2f} ms")
    features = torch.randn(1, 256, 200, 272)
    proposals, _ = random_boxes(1000, 800, 1088)
    rois = torch.cat([torch.zeros(1000, 1), proposals], 1)
    for ratio in (2, 0):
        median, times = timed(args.rounds * 4, lambda: torchvision.ops.roi_align(features, rois, (7, 7), 0.25, ratio, False))
        print(f"roi_align 1000 rois sampling {ratio}: median {median:.2f} ms")


if __name__ == "__main__":
    main()
