using System;

namespace ResNeStBlocks.Runtime;

public static partial class NativeRuntime
{
    /// <summary>The environment variable that, set to <c>1</c> or <c>true</c>, turns the automatic CPU convolution check off.</summary>
    public const string SkipCpuCheckVariable = "RESNESTBLOCKS_SKIP_CPU_CHECK";

    private static volatile bool automaticCheckDone;
    private static bool? automaticCpuCheck;

    /// <summary>
    /// Whether the library runs <see cref="VerifyCpuConvolution"/> by itself, once per process, the first time one of
    /// its modules or its <see cref="Preprocessing.ImagePreprocessor"/> is created: before any of its convolutions can
    /// run, so that no result depends on remembering the call. Default: true, unless the environment variable
    /// <see cref="SkipCpuCheckVariable"/> is <c>1</c> or <c>true</c>.
    /// </summary>
    /// <remarks>
    /// Turn it off (before the first module is built) only when the application manages libtorch's CPU backends itself;
    /// the switch is process-wide. An explicit <see cref="VerifyCpuConvolution"/> call works either way.
    /// </remarks>
    public static bool AutomaticCpuCheck
    {
        get
        {
            lock (Gate)
                return automaticCpuCheck ??= !SkipRequestedByEnvironment();
        }
        set
        {
            lock (Gate)
                automaticCpuCheck = value;
        }
    }

    /// <summary>What the CPU convolution check found and did, automatic or explicit; null while it has not run in this process.</summary>
    public static CpuConvolutionReport? CpuConvolutionCheck
    {
        get
        {
            lock (Gate)
                return verified;
        }
    }

    /// <summary>
    /// Runs the CPU convolution check unless it already ran or <see cref="AutomaticCpuCheck"/> is off. Called first by
    /// every constructor of the library's modules (and by its other native entry points); after the first call it
    /// costs one volatile read.
    /// </summary>
    /// <exception cref="NativeRuntimeUnavailableException">libtorch cannot be loaded on this machine.</exception>
    internal static void EnsureCpuChecked()
    {
        if (automaticCheckDone)
            return;
        if (!AutomaticCpuCheck)
            return;
        VerifyCpuConvolution();
        automaticCheckDone = true;
    }

    private static bool SkipRequestedByEnvironment()
    {
        string? value = Environment.GetEnvironmentVariable(SkipCpuCheckVariable);
        return value is not null && (value.Trim() == "1" || value.Trim().Equals("true", StringComparison.OrdinalIgnoreCase));
    }
}
