namespace ResNeStBlocks.Weights;

/// <summary>Where a pretrained weights file is published, which decides how it is fetched and cached.</summary>
public enum WeightsSourceKind
{
    /// <summary>A file in a Hugging Face Hub repository (timm's <c>model.safetensors</c>), cached as huggingface_hub caches it.</summary>
    HuggingFaceRepo,

    /// <summary>A torch.hub checkpoint URL (torchvision's <c>.pth</c> files), cached in torch.hub's checkpoint folder.</summary>
    TorchHubUrl,

    /// <summary>A file on this machine: nothing is fetched.</summary>
    LocalFile,
}
