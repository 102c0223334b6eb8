using System;
using static TorchSharp.torch;

namespace ResNeStBlocks.Weights;

/// <summary>
/// Weights for any module, by state-dict key: <c>module.SaveWeights(path)</c> writes safetensors and
/// <c>module.LoadWeights(path)</c> reads safetensors or a PyTorch state dict (<c>.pth</c>). A library module's keys are
/// timm's, so timm's <c>model.safetensors</c> loads by name.
/// </summary>
public static class ModuleWeights
{
    /// <summary>
    /// Loads a weights file into <paramref name="module"/> by key, atomically (see <see cref="StateDictLoader.Load"/>):
    /// safetensors, or a PyTorch state dict saved by <c>torch.save</c> (read by <see cref="PyTorchCheckpoint"/>, which
    /// runs nothing the file asks for), told apart by the file's first bytes.
    /// </summary>
    /// <param name="module">A network, block or layer.</param>
    /// <param name="path">The weights file (<c>.safetensors</c> or <c>.pth</c>).</param>
    /// <param name="strict">Fail on any missing or unexpected key.</param>
    /// <param name="skip">Keys to leave as they are (for example a classifier of another class count).</param>
    /// <returns>The keys that were missing, unexpected or skipped.</returns>
    /// <exception cref="WeightsFormatException">The file is malformed (<see cref="SafeTensorsFormatException"/> or <see cref="PyTorchCheckpointFormatException"/>); the module is unchanged.</exception>
    /// <exception cref="StateDictMismatchException">Keys, shapes or dtypes do not fit; the module is unchanged.</exception>
    /// <exception cref="InvalidOperationException">The module's BatchNorms have been folded for inference; the module is unchanged.</exception>
    /// <exception cref="ArgumentException">The module has no registered parameters or buffers (a custom module that did not call <c>RegisterComponents()</c>).</exception>
    public static LoadResult LoadWeights(this nn.Module module, string path, bool strict = true, Func<string, bool>? skip = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        ModuleRegistration.Require(module, nameof(module), "there is nothing to load the weights into", buffersCount: true);
        return StateDictLoader.LoadFile(module, path, strict, skip);
    }

    /// <summary>Saves every parameter and buffer of <paramref name="module"/> to a safetensors file under its state-dict key.</summary>
    /// <param name="module">A network, block or layer.</param>
    /// <param name="path">The file to write.</param>
    /// <exception cref="ArgumentException">The module has no registered parameters or buffers (a custom module that did not call <c>RegisterComponents()</c>).</exception>
    public static void SaveWeights(this nn.Module module, string path)
    {
        ArgumentNullException.ThrowIfNull(module);
        ModuleRegistration.Require(module, nameof(module), "there is nothing to save", buffersCount: true);
        SafeTensors.Save(path, module.state_dict());
    }
}
