using static TorchSharp.torch;

namespace ResNeStBlocks.Weights;

/// <summary>How messages name a module: the name it was given, or its .NET type when that name is libtorch's own.</summary>
internal static class ModuleNames
{
    /// <summary>
    /// <c>ResNet</c> for a library module; <c>Sequential</c> (the .NET type) for a TorchSharp container, whose
    /// <see cref="nn.Module.GetName"/> is libtorch's C++ class (<c>torch::nn::SequentialImpl</c>), a name the user never wrote.
    /// </summary>
    /// <param name="module">The module.</param>
    /// <returns>The name for a message.</returns>
    public static string Of(nn.Module module)
    {
        string name = module.GetName();
        return string.IsNullOrEmpty(name) || name.Contains("::", System.StringComparison.Ordinal) ? module.GetType().Name : name;
    }
}
