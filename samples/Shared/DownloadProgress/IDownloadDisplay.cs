using System;
using ResNeStBlocks.Hub;

namespace ResNeStBlocks.Samples.Progress;

/// <summary>Shows a weights download while it runs (a live bar in a terminal, plain lines elsewhere).</summary>
public interface IDownloadDisplay
{
    /// <summary>Runs <paramref name="download"/>, showing its progress.</summary>
    /// <param name="description">What is downloaded, such as <c>timm/resnest50d.in1k/model.safetensors</c>.</param>
    /// <param name="destination">Where it goes, for the plain lines: <c>the Hugging Face cache</c> or <c>torch.hub's checkpoint folder</c>.</param>
    /// <param name="download">The download; reports go to the progress it is given.</param>
    /// <returns>The downloaded file's path.</returns>
    string Show(string description, string destination, Func<IProgress<HubDownloadProgress>, string> download);
}
