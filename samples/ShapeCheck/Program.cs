using System;
using ResNeStBlocks.Samples.ShapeCheck;

return ShapeCheckApp.Run(args, Console.Out);
