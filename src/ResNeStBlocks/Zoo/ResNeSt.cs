using ResNeStBlocks.Backbones;

namespace ResNeStBlocks.Zoo;

/// <summary>Typed factories for the ResNeSt family (Zhang et al., 2020), as timm names and builds them.</summary>
public static class ResNeSt
{
    /// <summary>ResNeSt-14 (timm <c>resnest14d</c>): 224x224 input.</summary>
    /// <param name="numClasses">Classifier outputs; 0 for a headless backbone.</param>
    /// <returns>The model.</returns>
    public static ResNet ResNeSt14(int numClasses = 1000) => ModelZoo.Create("resnest14d", numClasses);

    /// <summary>ResNeSt-26 (timm <c>resnest26d</c>): 224x224 input.</summary>
    /// <param name="numClasses">Classifier outputs; 0 for a headless backbone.</param>
    /// <returns>The model.</returns>
    public static ResNet ResNeSt26(int numClasses = 1000) => ModelZoo.Create("resnest26d", numClasses);

    /// <summary>ResNeSt-50 (timm <c>resnest50d</c>): 224x224 input.</summary>
    /// <param name="numClasses">Classifier outputs; 0 for a headless backbone.</param>
    /// <returns>The model.</returns>
    public static ResNet ResNeSt50(int numClasses = 1000) => ModelZoo.Create("resnest50d", numClasses);

    /// <summary>ResNeSt-101 (timm <c>resnest101e</c>): 256x256 input.</summary>
    /// <param name="numClasses">Classifier outputs; 0 for a headless backbone.</param>
    /// <returns>The model.</returns>
    public static ResNet ResNeSt101(int numClasses = 1000) => ModelZoo.Create("resnest101e", numClasses);

    /// <summary>ResNeSt-200 (timm <c>resnest200e</c>): 320x320 input.</summary>
    /// <param name="numClasses">Classifier outputs; 0 for a headless backbone.</param>
    /// <returns>The model.</returns>
    public static ResNet ResNeSt200(int numClasses = 1000) => ModelZoo.Create("resnest200e", numClasses);

    /// <summary>ResNeSt-269 (timm <c>resnest269e</c>): 416x416 input.</summary>
    /// <param name="numClasses">Classifier outputs; 0 for a headless backbone.</param>
    /// <returns>The model.</returns>
    public static ResNet ResNeSt269(int numClasses = 1000) => ModelZoo.Create("resnest269e", numClasses);

    /// <summary>The radix-4, cardinality-2, width-40 ablation (timm <c>resnest50d_4s2x40d</c>).</summary>
    /// <param name="numClasses">Classifier outputs; 0 for a headless backbone.</param>
    /// <returns>The model.</returns>
    public static ResNet ResNeSt50_4s2x40d(int numClasses = 1000) => ModelZoo.Create("resnest50d_4s2x40d", numClasses);

    /// <summary>The radix-1, cardinality-4, width-24 ablation (timm <c>resnest50d_1s4x24d</c>).</summary>
    /// <param name="numClasses">Classifier outputs; 0 for a headless backbone.</param>
    /// <returns>The model.</returns>
    public static ResNet ResNeSt50_1s4x24d(int numClasses = 1000) => ModelZoo.Create("resnest50d_1s4x24d", numClasses);
}
