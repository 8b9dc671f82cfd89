// Benchmarks of ConvNet's kernels. Modes:
//   sgemm [--threads 1,2] [--repeats R] [--warmup W] [--only NAME]   GFLOP/s of Sgemm on square and AlexNet shapes
//   kernel [--depth D] [--panels P]                                  the micro-kernel alone on cache-resident panels
//   peak                                                             the measured FMA peak of one core
//   fc [--repeats R] [--threads T] [--batches 1,2,4,8,64]          fully connected forward: per-call packing, streaming, packed once
//   bf16 [--model M | --checkpoint RUN] [--images N]                  top-1 agreement and logit differences, bf16 FC weights vs fp32
//   ort [--model M] [--batch N] [--threads T] [--repeats R]          ONNX Runtime inference on the same model (JSON)
using ConvNet.Bench;
using ConvNet.Kernels.Cpu;

string mode = args.Length > 0 ? args[0] : "";
switch (mode)
{
    case "sgemm":
        return SgemmBenchmark.Run(args[1..]);
    case "kernel":
        return MicroKernelBenchmark.Run(args[1..]);
    case "fc":
        return FullyConnectedBenchmark.Run(args[1..]);
    case "bf16":
        return Bf16AccuracyBenchmark.Run(args[1..]);
    case "ort":
        return OrtBenchmark.Run(args[1..]);
    case "peak":
        Console.WriteLine($"FMA peak: {FmaPeak.PerCore():F1} GFLOP/s per core (best of many short runs)");
        return 0;
    default:
        Console.Error.WriteLine("usage: ConvNet.Bench sgemm [--threads 1,2] [--repeats R] [--warmup W] [--only NAME] | kernel [--depth D] [--panels P] | fc [--batches 1,64] | bf16 [--model M] | peak");
        return 2;
}
