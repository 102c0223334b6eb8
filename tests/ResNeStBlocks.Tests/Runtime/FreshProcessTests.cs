using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using FluentAssertions;
using ResNeStBlocks.Runtime;
using ResNeStBlocks.Testing;
using Xunit;

namespace ResNeStBlocks.Tests.Runtime;

/// <summary>
/// What a fresh process shows (tests/ResNeStBlocks.FreshProcess): a network of library layers is correct with no
/// set-up call, the opt-out is honoured, and <see cref="GlibcAllocator.KeepFreedMemory"/> keeps freed memory.
/// </summary>
public sealed class FreshProcessTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    [Fact]
    public void A_network_of_library_layers_trains_with_finite_losses_and_float32_convolutions_equal_float64_without_any_set_up_call()
    {
        var outcome = Run(new Dictionary<string, string> { [NativeRuntime.SkipCpuCheckVariable] = "0" }, "network");

        outcome.ExitCode.Should().Be(0, outcome.ToString());
        outcome.Output.Should().Contain("automatic check: ran, CpuConvolutionReport {").And.Contain("losses finite: True");
        var losses = Regex.Matches(outcome.Output, @"^loss \d: (\S+)$", RegexOptions.Multiline)
            .Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToList();
        losses.Should().HaveCount(5).And.OnlyContain(loss => double.IsFinite(loss));
        double error = double.Parse(Regex.Match(outcome.Output, @"largest float32 convolution error: (\S+)").Groups[1].Value, CultureInfo.InvariantCulture);
        error.Should().BeLessThan(1e-4, outcome.ToString());
        // NNPACK's initialisation warning ("Could not initialize NNPACK! Reason: Unsupported hardware.") is silenced.
        outcome.Output.Should().NotContain("NNPACK");
    }

    [Fact]
    public void The_environment_variable_turns_the_automatic_check_off()
    {
        var outcome = Run(new Dictionary<string, string> { [NativeRuntime.SkipCpuCheckVariable] = "1" }, "network");

        outcome.ExitCode.Should().Be(0, outcome.ToString());
        outcome.Output.Should().Contain("automatic check: skipped");
    }

    [LinuxFact("glibc's mallopt exists on Linux only")]
    public void Keeping_freed_memory_stops_the_page_faults_of_reallocating_what_was_freed()
    {
        var kept = Run(new Dictionary<string, string>(), "allocator", "on");
        var plain = Run(new Dictionary<string, string>(), "allocator", "off");

        kept.ExitCode.Should().Be(0, kept.ToString());
        plain.ExitCode.Should().Be(0, plain.ToString());
        kept.Output.Should().Contain("applied: True, again: True, IsApplied: True");
        long keptFaults = Faults(kept), plainFaults = Faults(plain);
        // 3 rounds x 64 MiB: about 49,000 faults when glibc trims its heap after every round, next to none when it keeps it.
        plainFaults.Should().BeGreaterThan(30_000, plain.ToString());
        keptFaults.Should().BeLessThan(plainFaults / 10, $"kept {keptFaults}, plain {plainFaults}");
    }

    private static long Faults(ChildProcess.Outcome outcome) =>
        long.Parse(Regex.Match(outcome.Output, @"minor faults in rounds 2-4: (\d+)").Groups[1].Value, CultureInfo.InvariantCulture);

    private static ChildProcess.Outcome Run(IReadOnlyDictionary<string, string> environment, params string[] arguments) =>
        ChildProcess.DotNet(AppContext.BaseDirectory, Timeout, environment,
            new[] { Path.Combine(AppContext.BaseDirectory, "ResNeStBlocks.FreshProcess.dll") }.Concat(arguments).ToArray());
}
