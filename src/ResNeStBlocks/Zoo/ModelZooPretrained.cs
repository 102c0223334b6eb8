using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ResNeStBlocks.Weights;
using ResNeStBlocks.Backbones;
using ResNeStBlocks.Hub;

namespace ResNeStBlocks.Zoo;

// The pretrained half of the zoo: timm's tags (name.tag) and creation with weights from the Hugging Face Hub.
public static partial class ModelZoo
{
    /// <summary>
    /// The pretrained weights timm publishes for a model, as full names (<c>resnet50.a1_in1k</c>,
    /// <c>resnet50.tv2_in1k</c>, ...), the default first. Each is accepted by <see cref="Create"/> and <see cref="Pretrained(string)"/>.
    /// </summary>
    /// <param name="name">A name from <see cref="Names"/> (or one of its tags).</param>
    /// <returns>The full names, default first.</returns>
    /// <exception cref="ArgumentException">The name is unknown.</exception>
    public static IReadOnlyList<string> Tags(string name)
    {
        string architecture = ArchitectureOf(name);
        return PretrainedTags.All(architecture, Find(architecture).Pretrained).Select(PretrainedTags.FullName).ToArray();
    }

    /// <summary>
    /// Creates a model and loads timm's weights from the Hugging Face Hub (cached, shared with Python's
    /// huggingface_hub). With <paramref name="numClasses"/> other than the weights' classes, everything but the classifier loads.
    /// </summary>
    /// <param name="name">A zoo name (its default weights) or <c>name.tag</c> from <see cref="Tags"/>, such as <c>resnest50d.in1k</c>.</param>
    /// <param name="numClasses">Classifier outputs; 0 for a headless backbone.</param>
    /// <param name="configure">Optional changes to the architecture that keep timm's keys (output stride, drop path, ...).</param>
    /// <param name="hub">Endpoint, cache, token and offline mode; null for the process environment's.</param>
    /// <param name="progress">Receives bytes done, total and rate while downloading.</param>
    /// <param name="cancellationToken">Stops the download.</param>
    /// <returns>The model with weights, in training mode, on the CPU.</returns>
    /// <exception cref="ArgumentException">The name or tag is unknown.</exception>
    /// <exception cref="HubException">The weights cannot be fetched; the subclass and message say why.</exception>
    /// <exception cref="Weights.StateDictMismatchException"><paramref name="configure"/> changed the keys or shapes.</exception>
    public static async Task<ResNet> CreatePretrainedAsync(string name, int numClasses = 1000, Func<ResNetConfig, ResNetConfig>? configure = null,
        HubOptions? hub = null, IProgress<HubDownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var source = Pretrained(name).Source!;
        var model = Create(name, numClasses, configure);
        try
        {
            await model.LoadPretrainedAsync(source, hub, progress, cancellationToken).ConfigureAwait(false);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Blocking form of <see cref="CreatePretrainedAsync"/>.</summary>
    /// <param name="name">A zoo name or <c>name.tag</c>.</param>
    /// <param name="numClasses">Classifier outputs; 0 for a headless backbone.</param>
    /// <param name="configure">Optional changes to the architecture that keep timm's keys.</param>
    /// <param name="hub">Endpoint, cache, token and offline mode; null for the process environment's.</param>
    /// <param name="progress">Receives bytes done, total and rate while downloading.</param>
    /// <param name="cancellationToken">Stops the download.</param>
    /// <returns>The model with weights.</returns>
    /// <exception cref="ArgumentException">The name or tag is unknown.</exception>
    /// <exception cref="HubException">The weights cannot be fetched.</exception>
    public static ResNet CreatePretrained(string name, int numClasses = 1000, Func<ResNetConfig, ResNetConfig>? configure = null,
        HubOptions? hub = null, IProgress<HubDownloadProgress>? progress = null, CancellationToken cancellationToken = default) =>
        CreatePretrainedAsync(name, numClasses, configure, hub, progress, cancellationToken).GetAwaiter().GetResult();

    /// <summary><c>resnest50d</c> for <c>resnest50d</c> and <c>resnest50d.in1k</c>; throws for an unknown model or tag.</summary>
    private static string ArchitectureOf(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        int dot = name.IndexOf('.', StringComparison.Ordinal);
        if (dot < 0)
            return name;
        string architecture = name[..dot];
        TagConfig(architecture, name);
        return architecture;
    }

    private static PretrainedConfig TagConfig(string architecture, string fullName)
    {
        var tags = PretrainedTags.All(architecture, Find(architecture).Pretrained);
        return tags.FirstOrDefault(t => PretrainedTags.FullName(t) == fullName)
            ?? throw new ArgumentException(
                $"Unknown pretrained tag '{fullName}'. Tags of {architecture}: {string.Join(", ", tags.Select(PretrainedTags.FullName))}.", "name");
    }

    private static bool IsKnownTag(string name)
    {
        int dot = name.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 && Entries.TryGetValue(name[..dot], out var entry)
            && PretrainedTags.All(name[..dot], entry.Pretrained).Any(t => PretrainedTags.FullName(t) == name);
    }

    private static PretrainedConfig PretrainedFor(string name)
    {
        string architecture = ArchitectureOf(name);
        return architecture == name ? Find(name).Pretrained : TagConfig(architecture, name);
    }
}
