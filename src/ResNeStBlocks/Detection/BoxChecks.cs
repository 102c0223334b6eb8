using System;
using static TorchSharp.torch;

namespace ResNeStBlocks.Detection;

/// <summary>Argument checks for box tensors, before any native call.</summary>
internal static class BoxChecks
{
    /// <summary>Checks an [N, 4] (or, with <paramref name="anyLeading"/>, [..., 4]) tensor of boxes.</summary>
    public static void Boxes(Tensor boxes, string name, bool anyLeading = false, bool floating = false)
    {
        ArgumentNullException.ThrowIfNull(boxes, name);
        bool shapeOk = anyLeading ? boxes.dim() >= 1 && boxes.size(-1) == 4 : boxes.dim() == 2 && boxes.size(1) == 4;
        if (!shapeOk)
            throw new ArgumentException(
                $"{name} must have shape {(anyLeading ? "[..., 4]" : "[N, 4]")} (x1, y1, x2, y2 per box), got {Shape(boxes)}.", name);
        if (floating && !boxes.dtype.IsFloatingPoint())
            throw new ArgumentException($"{name} must be a floating-point tensor, got {boxes.dtype}; convert it with .to(ScalarType.Float32).", name);
    }

    /// <summary>Checks a 1-D tensor with one entry per box, on the boxes' device.</summary>
    public static void PerBox(Tensor values, string name, Tensor boxes, string boxesName, bool floating)
    {
        ArgumentNullException.ThrowIfNull(values, name);
        if (values.dim() != 1 || values.size(0) != boxes.size(0))
            throw new ArgumentException(
                $"{name} must have shape [{boxes.size(0)}] (one value per box of {boxesName}), got {Shape(values)}.", name);
        if (floating && values.dtype != boxes.dtype)
            throw new ArgumentException($"{name} ({values.dtype}) must have the dtype of {boxesName} ({boxes.dtype}).", name);
        if (!floating && values.dtype.IsFloatingPoint())
            throw new ArgumentException($"{name} must be an integer tensor (class or image indices), got {values.dtype}.", name);
        SameDevice(values, name, boxes, boxesName);
    }

    public static void SameDevice(Tensor a, string aName, Tensor b, string bName)
    {
        if (a.device.type != b.device.type || a.device.index != b.device.index)
            throw new ArgumentException($"{aName} is on {a.device} but {bName} is on {b.device}; move both to one device.", aName);
    }

    public static string Shape(Tensor t) => "[" + string.Join(", ", t.shape) + "]";
}
