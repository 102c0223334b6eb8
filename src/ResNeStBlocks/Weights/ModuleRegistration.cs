using System;
using System.Linq;
using static TorchSharp.torch;

namespace ResNeStBlocks.Weights;

/// <summary>
/// Refuses a module that registered nothing: TorchSharp finds parameters and buffers only through registration, so a
/// custom module that forgot <c>RegisterComponents()</c> would save an empty file, load nothing and train nothing, all
/// without an error.
/// </summary>
internal static class ModuleRegistration
{
    /// <summary>Throws unless <paramref name="module"/> has at least one registered parameter (or, with <paramref name="buffersCount"/>, buffer).</summary>
    /// <param name="module">The module.</param>
    /// <param name="name">The parameter's name, for the exception.</param>
    /// <param name="consequence">What is impossible without any, such as "there is nothing to save".</param>
    /// <param name="buffersCount">Whether registered buffers are enough (weights files hold them; optimizers do not).</param>
    /// <exception cref="ArgumentException">Nothing is registered.</exception>
    public static void Require(nn.Module module, string name, string consequence, bool buffersCount)
    {
        bool any = buffersCount ? module.state_dict().Count > 0 : module.parameters().Any();
        if (any)
            return;
        string what = buffersCount ? "parameters or buffers" : "parameters";
        throw new ArgumentException(
            $"{module.GetType().Name} has no registered {what}, so {consequence}. A module that keeps its layers in fields must call " +
            "RegisterComponents() at the end of its constructor; TorchSharp finds parameters only through registration.",
            name);
    }
}
