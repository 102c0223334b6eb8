using TorchSharp;

namespace ResNeStBlocks;

/// <summary>
/// Constant scalars for native calls, held for the life of the process. TorchSharp 0.107's <c>Scalar</c> frees its
/// native object in a finalizer and tensor methods pass on only its handle, so a temporary (<c>t.add_(1)</c>, and
/// <c>a + b</c> or <c>x.add_(y)</c>, which pass <c>alpha: 1</c> themselves) can be freed during the call under GC
/// pressure. Constants come from here; per-call values are held with <c>using</c> (the build's RNB0001/RNB0002
/// analyzer enforces both).
/// </summary>
internal static class HeldScalars
{
    /// <summary>1, the <c>alpha</c> of a plain sum (<c>a.add(b, One)</c>).</summary>
    public static readonly Scalar One = 1;

    /// <summary>0.5.</summary>
    public static readonly Scalar Half = 0.5;
}
