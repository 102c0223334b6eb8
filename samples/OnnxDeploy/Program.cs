using System;
using ResNeStBlocks.Samples.OnnxDeploy;

return DeployApp.Execute(args, Console.Out, Console.Error);
