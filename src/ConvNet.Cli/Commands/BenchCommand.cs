// `convnet bench --model NAME [--batch N] [--mode train|infer] [--threads N] [--warmup W] [--repeats R] [--json]`:
// images/s, GFLOP/s and share of the measured FMA peak for a model's training or inference steps, and where the
// time goes layer by layer.
using System.CommandLine;
using System.Text;
using System.Text.Json;
using ConvNet.Cli.Benchmarks;
using ConvNet.Devices;
using ConvNet.Devices.Gpu;
using ConvNet.Kernels.Cpu;
using ConvNet.Diagnostics;
using ConvNet.Distributed;
using ConvNet.Models;

namespace ConvNet.Cli.Commands;

public static class BenchCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = $"Model name: {string.Join(", ", ModelRegistry.Names)}" };
        OptionChoices.Restrict(model, [.. ModelRegistry.Names]); // one line naming --model, with "did you mean" for AlexNet
        var loader = new Option<string?>("--loader") { Description = "Time the image loader instead: decode+augment and packed-cache images/s on this data spec (folder:DIR, list:FILE, cache:DIR)" };
        var seconds = new Option<double>("--seconds") { Description = "--loader: seconds per measurement", DefaultValueFactory = _ => 10 };
        var crop = WholeNumberRange.Of(new Option<int>("--crop") { Description = "--loader: crop size (227 for alexnet, 224 for the torchvision layout)", DefaultValueFactory = _ => 227 }, WholeNumberRange.AtLeastOne);
        var batch = WholeNumberRange.Of(new Option<int>("--batch", "--batch-size") { Description = "Images per step", DefaultValueFactory = _ => 128 }, WholeNumberRange.AtLeastOne);
        var mode = new Option<string>("--mode") { Description = "train (forward, loss, backward, SGD) or infer (forward only)", DefaultValueFactory = _ => "train" };
        OptionChoices.Restrict(mode, "train", "infer");
        var threads = WholeNumberRange.Of(new Option<int>("--threads") { Description = "Worker threads", DefaultValueFactory = _ => Environment.ProcessorCount }, WholeNumberRange.Threads);
        var warmup = WholeNumberRange.Of(new Option<int>("--warmup") { Description = "Untimed steps first", DefaultValueFactory = _ => 2 }, WholeNumberRange.NotNegative);
        var repeats = WholeNumberRange.Of(new Option<int>("--repeats") { Description = "Timed steps (and per-layer passes)", DefaultValueFactory = _ => 5 }, WholeNumberRange.AtLeastOne);
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table" };
        var device = DeviceOption.Create();
        var precision = PrecisionOption.Create();
        var gemm = WholeNumberRange.Of(new Option<int?>("--gemm") { Description = "GPU devices: time an N x N x N float32 GEMM instead (TFLOP/s)" }, new(1, GpuGemmBenchmark.MaxSize));
        var convAlgorithm = new Option<string?>("--conv-algorithm")
        {
            Description = "CPU: auto (time direct and Winograd once per layer, keep the faster; the default), direct or winograd. " +
                "GPU devices: implicit (the GEMM reads the input as it goes; the default) or lowered (an im2col pass first)",
        };
        OptionChoices.Restrict(convAlgorithm, "auto", "direct", "winograd", "implicit", "lowered");
        var gemmBlocking = new Option<string>("--gemm-blocking")
        {
            Description = "GPU devices: values of C per GEMM thread per side, 4 (64x64 tiles) or 8 (128x128) for every layer, or auto " +
                "(each convolution and fully connected layer times both once when the network is planned; the default on a CUDA GPU, 4 on the emulated device)",
            DefaultValueFactory = _ => "auto",
        };
        OptionChoices.Restrict(gemmBlocking, "auto", "4", "8");
        var allreduce = new Option<double?>("--allreduce") { Description = "Under mpiexec: time an allreduce of this many MB instead (ms, bus GB/s)" };
        var verify = new Option<bool>("--verify") { Description = "GPU devices: run training steps on the GPU and on the CPU from one seed and compare them (exit 1 if they disagree)" };
        var command = new Command("bench", "Time training or inference steps of a model: images/s, GFLOP/s, % of FMA peak, per-layer times")
            { model, batch, mode, threads, warmup, repeats, json, loader, seconds, crop, device, precision, gemm, verify, convAlgorithm, gemmBlocking, allreduce };
        // Under mpiexec: data-parallel training steps or the allreduce alone, and an error on any rank ends the job
        // (DistributedCommand); without it MPI is never loaded.
        command.SetAction(parse => DistributedCommand.Run(parse, timeoutAdvice: null, communicator =>
        {
            // Each kind of bench reads some of the options; one given that it would not read is refused, naming what applies.
            if (parse.GetValue(loader) is { } spec)
            {
                if (communicator.Size > 1)
                    throw new ArgumentException($"bench --loader times the image loader in one process, and this is rank {communicator.Rank} of {communicator.Size} " +
                        "under mpiexec: run it without mpiexec");
                RefuseGiven(parse, "does not apply to --loader, which times decoding and the packed cache with --seconds, --crop, --batch and --threads: " +
                    "leave it out, or leave out --loader to time a model", model, mode, warmup, repeats, device, precision, gemm, verify, convAlgorithm, gemmBlocking, allreduce);
                if (!(parse.GetValue(seconds) > 0) || !double.IsFinite(parse.GetValue(seconds)))
                    throw new ArgumentException($"--seconds must be a positive finite number, got {parse.GetValue(seconds)}");
                // The loader bench stores images as the paper's squares, and no model is involved: the image store's own
                // refusal would speak of "the model's input".
                int cropSize = parse.GetValue(crop);
                if (cropSize > ConvNet.Data.Images.SquareImageDecoder.PaperSize)
                    throw new ArgumentException($"--crop {cropSize}: the loader bench crops the {ConvNet.Data.Images.SquareImageDecoder.PaperSize}x{ConvNet.Data.Images.SquareImageDecoder.PaperSize} " +
                        $"squares it stores images as: give 1 to {ConvNet.Data.Images.SquareImageDecoder.PaperSize}");
                long cropFloats = 3L * cropSize * cropSize, largestBatch = Array.MaxLength / cropFloats;
                if (parse.GetValue(batch) > largestBatch)
                    throw new ArgumentException($"--batch {parse.GetValue(batch)}: a batch of 3x{cropSize}x{cropSize} crops holds more floats than one tensor can; " +
                        $"the largest batch is {largestBatch:N0}");
                var l = ConvNet.Data.Images.LoaderBenchmark.Run(spec, parse.GetValue(threads), parse.GetValue(seconds),
                    cropSize, parse.GetValue(batch));
                Console.WriteLine(parse.GetValue(json)
                    ? CliJson.Serialize(l)
                    : $"loader {spec}: {l.ImagesInData} images, {l.Threads} thread{(l.Threads == 1 ? "" : "s")}, {l.CropSize}x{l.CropSize} crops, batch {l.BatchSize}\n" +
                      (double.IsNaN(l.DecodeAugmentImagesPerSecond) ? $"decode + augment   {"n/a",10} (a cache is already decoded)\n"
                          : $"decode + augment   {l.DecodeAugmentImagesPerSecond,10:F0} images/s\n") +
                      $"packed cache       {l.CacheImagesPerSecond,10:F0} images/s");
                return 0;
            }
            RefuseGiven(parse, "applies to --loader SPEC (the image loader's bench); a model's bench times --warmup and --repeats steps at the model's input size: leave it out",
                seconds, crop);
            if (parse.GetValue(allreduce) is not null)
            {
                if (communicator.Size < 2) throw new ArgumentException("--allreduce times communication between ranks: run it under mpiexec -n 2 or more");
                RefuseGiven(parse, "does not apply to --allreduce, which times the collective alone with --warmup and --repeats: leave it out, or leave out --allreduce " +
                    "to time data-parallel training steps", model, batch, mode, threads, device, precision, gemm, verify, convAlgorithm, gemmBlocking);
            }
            if (communicator.Size > 1)
            {
                RefuseGiven(parse, "checks or tunes a GPU, and under mpiexec bench times data-parallel training on CPU ranks: leave it out, or time a GPU in one process",
                    verify, gemm, gemmBlocking);
                if (parse.GetValue(precision) == "bf16")
                    throw new ArgumentException("--precision bf16 is for inference only, and under mpiexec bench times data-parallel training (in fp32): " +
                        "leave it out, or time bf16 inference in one process with --mode infer");
                return DataParallel(parse, communicator, model, batch, mode, threads, warmup, repeats, json, device, allreduce, convAlgorithm);
            }
            var deviceSpec = DeviceOption.Value(parse, device);
            if (deviceSpec.IsGpu && (parse.GetValue(verify) || parse.GetValue(gemm) is not null))
            {
                PrecisionOption.Value(parse, precision, deviceSpec); // bf16 is refused on a GPU device
                RefuseGiven(parse, "does not apply to --verify and --gemm (--verify runs 2 training steps of --model at --batch; --gemm times --repeats products): leave it out",
                    mode, warmup, convAlgorithm);
                if (!parse.GetValue(verify))
                    RefuseGiven(parse, "applies to --verify; --gemm alone times one N x N x N product: leave it out, or add --verify", model, batch, threads);
                if (parse.GetValue(gemm) is null)
                    RefuseGiven(parse, "applies to --gemm; --verify runs 2 training steps: leave it out", repeats);
                return GpuChecks(parse, deviceSpec, model, batch, threads, repeats, gemm, verify, json, ForcedBlocking(parse.GetValue(gemmBlocking)));
            }
            if (!deviceSpec.IsGpu && (parse.GetValue(verify) || parse.GetValue(gemm) is not null))
                throw new ArgumentException("--verify and --gemm time and check a GPU: give --device cuda (or emulated)");
            if (!deviceSpec.IsGpu)
                RefuseGiven(parse, "sets the GPU GEMM's blocking; the CPU's GEMM has its own: give --device cuda (or emulated), or leave it out", gemmBlocking);
            else // the steps run on the device (the emulated one schedules its own threads): no CPU worker pool is made
                RefuseGiven(parse, "sets the CPU's worker threads, and a GPU bench runs its steps on the device without them: leave it out " +
                    "(or give --device cpu)", threads);
            if (parse.GetValue(model) is null) throw new UsageException("needs --model NAME (or --loader SPEC)");
            var settings = new BenchSettings(parse.GetValue(model)!, parse.GetValue(batch),
                parse.GetValue(mode) == "infer" ? BenchMode.Infer : BenchMode.Train,
                parse.GetValue(threads), parse.GetValue(warmup), parse.GetValue(repeats),
                Precision: PrecisionOption.Value(parse, precision, deviceSpec));
            bool asJson = parse.GetValue(json);
            string? chosen = parse.GetValue(convAlgorithm);
            ConvAlgorithmOption.RequireFor(chosen, deviceSpec, gpuChoices: true);
            var algorithm = chosen == "lowered" ? ConvolutionAlgorithm.Lowered : ConvolutionAlgorithm.Implicit;
            var result = deviceSpec.IsGpu
                ? GpuNetworkBenchmark.Run(settings, deviceSpec, algorithm, ForcedBlocking(parse.GetValue(gemmBlocking)), asJson ? null : Console.Error)
                : NetworkBenchmark.Run(settings with { ConvAlgorithm = ConvolutionSelection.Parse(chosen ?? "auto") }, asJson ? null : Console.Error);
            Console.WriteLine(asJson ? ToJson(result) : ToTable(result));
            return 0;
        }));
        return command;
    }

    /// <summary>Throws for the first of <paramref name="options"/> the command line gives (a default is never refused):
    /// "--NAME <paramref name="why"/>".</summary>
    private static void RefuseGiven(ParseResult parse, string why, params Option[] options)
    {
        foreach (var option in options)
            if (GivenOption.Was(parse, option))
                throw new ArgumentException($"{option.Name} {why}");
    }

    /// <summary>--gemm-blocking 4 or 8; null for auto.</summary>
    private static int? ForcedBlocking(string? value) => value is null or "auto" ? null : int.Parse(value, System.Globalization.CultureInfo.InvariantCulture);

    private static int DataParallel(ParseResult parse, ICommunicator communicator, Option<string?> model, Option<int> batch, Option<string> mode,
        Option<int> threads, Option<int> warmup, Option<int> repeats, Option<bool> json, Option<string> device, Option<double?> allreduce,
        Option<string?> convAlgorithm)
    {
        bool asJson = parse.GetValue(json);
        if (parse.GetValue(allreduce) is { } megabytes)
        {
            var a = DataParallelBenchmark.Allreduce(communicator, megabytes, parse.GetValue(warmup), parse.GetValue(repeats));
            if (communicator.IsRoot)
                Console.WriteLine(asJson
                    ? CliJson.Serialize(new { ranks = a.Ranks, megabytes = a.Megabytes, milliseconds = Object(a.Milliseconds), busGigabytesPerSecond = a.BusGigabytesPerSecond })
                    : $"allreduce of {S(a.Megabytes)} MB over {a.Communicator}: {S(a.Milliseconds.Median)} ms (min {S(a.Milliseconds.Min)}, max {S(a.Milliseconds.Max)}), bus bandwidth {S(a.BusGigabytesPerSecond)} GB/s");
            return 0;
        }
        if (parse.GetValue(model) is null) throw new ArgumentException("under mpiexec, bench needs --model NAME (data-parallel training steps) or --allreduce MB");
        if (parse.GetValue(mode) != "train") throw new ArgumentException("under mpiexec, bench times data-parallel training: --mode train");
        if (DeviceOption.Value(parse, device).IsGpu) throw new ArgumentException("under mpiexec, bench times CPU ranks; time a GPU with one process");
        string? chosen = parse.GetValue(convAlgorithm);
        ConvAlgorithmOption.RequireFor(chosen, DeviceSpec.Cpu, gpuChoices: true); // the ranks run on the CPU
        var settings = new BenchSettings(parse.GetValue(model)!, parse.GetValue(batch), BenchMode.Train, parse.GetValue(threads), parse.GetValue(warmup), parse.GetValue(repeats))
            { ConvAlgorithm = ConvolutionSelection.Parse(chosen ?? "auto") };
        var r = DataParallelBenchmark.Run(communicator, settings, asJson || !communicator.IsRoot ? null : Console.Error);
        if (!communicator.IsRoot) return 0;
        Console.WriteLine(asJson
            ? CliJson.Serialize(new
            {
                model = r.Model, mode = "train", ranks = r.Ranks, batch = r.GlobalBatch, threadsPerRank = r.ThreadsPerRank,
                stepMs = Object(r.StepMs), imagesPerSecond = Object(r.ImagesPerSecond), allreduceMsPerStep = Object(r.AllreduceMsPerStep), gradientMegabytes = r.GradientMegabytes,
            })
            : $"{r.Model} train, batch {r.GlobalBatch} over {r.Ranks} ranks x {r.ThreadsPerRank} thread{(r.ThreadsPerRank == 1 ? "" : "s")}: " +
              $"{S(r.ImagesPerSecond.Median)} img/s (step {S(r.StepMs.Median)} ms, min {S(r.StepMs.Min)}, max {S(r.StepMs.Max)}); " +
              $"allreduce {S(r.AllreduceMsPerStep.Median)} ms a step ({100 * r.AllreduceMsPerStep.Median / r.StepMs.Median:F1} %) for {S(r.GradientMegabytes)} MB of gradients");
        return 0;
    }

    // At least three significant figures: a 0.03 MB allreduce or a 1.8e-5 TFLOP/s emulated GEMM printed as 0.0 and 0.00.
    private static string S(double value) => SignificantFigures.Format(value);

    public static string ToJson(BenchResult r) => CliJson.Serialize(new
    {
        device = r.Device,
        // --precision as given and run (until 2026-12-01 always "fp32", the arithmetic's, which read as if bf16 had not
        // applied); weightPrecision, its older name, stays for existing readers; the multiply-adds are float32 either way.
        precision = r.Settings.Precision == WeightPrecision.BFloat16 ? "bf16" : "fp32",
        weightPrecision = r.Settings.Precision == WeightPrecision.BFloat16 ? "bf16" : "fp32",
        arithmeticPrecision = "fp32",
        convolution = r.ConvolutionAlgorithm,
        gemmBlocking = r.GemmBlocking, // left out when each layer chose its own (layers[].algorithm says which)
        model = r.Settings.Model,
        mode = r.Settings.Mode.ToString().ToLowerInvariant(),
        batch = r.Settings.Batch,
        threads = r.Device == "cpu" ? r.Settings.Threads : (int?)null, // a GPU bench reads none
        processors = r.Device == "cpu" ? r.Processors : (int?)null, // the peak counts at most this many cores
        warmup = r.Settings.Warmup,
        repeats = r.Settings.Repeats,
        kernel = r.Kernel,
        gflopPerStep = r.StepGflop,
        stepMs = Object(r.StepMs),
        stepMsP99 = r.StepMsP99,
        imagesPerSecond = Object(r.ImagesPerSecond),
        gflops = Object(r.Gflops),
        peakGflops = double.IsFinite(r.PeakGflops) ? r.PeakGflops : (double?)null,
        percentOfPeak = double.IsFinite(r.PeakGflops) ? 100 * r.Gflops.Median / r.PeakGflops : (double?)null,
        cpusUsed = double.IsFinite(r.CpusUsed) ? r.CpusUsed : (double?)null,
        coresShared = r.Device == "cpu" ? r.CoresShared : (bool?)null, // under 3/4 of the cores it could use (see CoresShared)
        allocatedBytesPerStep = r.AllocatedBytesPerStep,
        // Inference has no loss, SGD or backward pass: those fields are left out, not reported as 0.
        lossMs = Trained(r, r.LossMs),
        sgdMs = Trained(r, r.SgdMs),
        layers = r.Layers.Select(l => new
        {
            name = l.Name, kind = l.Kind, forwardMs = l.ForwardMs, forwardGflops = l.ForwardGflops,
            backwardMs = Trained(r, l.BackwardMs), backwardGflops = l.BackwardGflops,
            algorithm = l.Algorithm, multiplyRatio = l.MultiplyRatio,
        }),
    });

    private static double? Trained(BenchResult r, double value) => r.Settings.Mode == BenchMode.Train ? value : null;

    // --verify (exit 1 when the GPU and the CPU disagree) and --gemm N on a GPU device.
    private static int GpuChecks(ParseResult parse, DeviceSpec deviceSpec, Option<string?> model, Option<int> batch, Option<int> threads,
        Option<int> repeats, Option<int?> gemm, Option<bool> verify, Option<bool> json, int? forcedBlocking)
    {
        int blocking = forcedBlocking ?? 4; // one square product: auto has no layers to choose for
        bool asJson = parse.GetValue(json);
        if (parse.GetValue(gemm) is { } size)
        {
            var g = GpuGemmBenchmark.Run(deviceSpec, size, parse.GetValue(repeats), blocking);
            Console.WriteLine(asJson
                ? CliJson.Serialize(new
                {
                    device = g.Device, gemm = g.Size, blocking = g.Blocking, repeats = g.Repeats, precision = "fp32", ms = Object(g.Milliseconds), tflops = Object(g.Tflops),
                    peakTflops = g.PeakTflops, percentOfPeak = g.PeakTflops is { } p ? 100 * g.Tflops.Median / p : (double?)null,
                    maxRelativeError = g.MaxRelativeError,
                })
                : $"GEMM {g.Size}^3 on {g.Device} ({g.Blocking}x{g.Blocking} per thread): {S(g.Tflops.Median)} TFLOP/s (min {S(g.Tflops.Min)}, max {S(g.Tflops.Max)}), {S(g.Milliseconds.Median)} ms" +
                  (g.PeakTflops is { } peak ? $", {100 * g.Tflops.Median / peak:F1} % of the {peak:F1} TFLOP/s FP32 peak" : "") +
                  $"; sampled relative error {g.MaxRelativeError:g2}");
            if (!parse.GetValue(verify)) return 0;
        }
        // The paper's net unless another is named; the micro net on the emulated device (the paper's would take hours).
        string name = parse.GetValue(model) ?? (deviceSpec.Kind == DeviceKind.Emulated ? AlexNetMicro.Name : AlexNetPaper.Name);
        int verifyBatch = GivenOption.Was(parse, batch) ? parse.GetValue(batch) : 8;
        var v = GpuVerify.Run(deviceSpec, name, verifyBatch, steps: 2, parse.GetValue(threads), forcedBlocking);
        var worst = v.Worst;
        Console.WriteLine(asJson
            ? CliJson.Serialize(new
            {
                device = v.Device, verify = new
                {
                    model = v.Model, batch = v.Batch, steps = v.Steps, cpuLosses = v.CpuLosses, gpuLosses = v.GpuLosses,
                    gemmBlockings = v.GemmBlockings.Length > 0 ? v.GemmBlockings : $"all={forcedBlocking ?? 4}",
                    worstTensor = worst.Name, worstError = worst.GpuError, worstLimit = worst.Limit, floor = GpuVerify.Floor,
                    roundingFactor = GpuVerify.RoundingFactor, cap = GpuVerify.Cap, passed = v.Passed,
                    tensors = v.Tensors.Select(t => new
                    {
                        name = t.Name, gpuError = t.GpuError, gpuElementwise = t.GpuElementwise, roundingError = t.RoundingError,
                        limit = t.Limit, passed = t.Passed,
                    }),
                },
            })
            : $"verify {v.Model} batch {v.Batch}, {v.Steps} training steps on {v.Device} " +
              $"(GEMM blocking {(v.GemmBlockings.Length > 0 ? v.GemmBlockings : $"{forcedBlocking ?? 4}x{forcedBlocking ?? 4} everywhere")}) and on the CPU from one seed: " +
              $"losses {string.Join(", ", v.GpuLosses.Select(l => l.ToString("F5")))} (GPU) vs {string.Join(", ", v.CpuLosses.Select(l => l.ToString("F5")))} (CPU); " +
              $"{v.Tensors.Count(t => t.Passed)} of {v.Tensors.Count} tensors within their limits; closest to its limit: {worst.Name}, " +
              $"GPU {worst.GpuError:g3} vs CPU (norm-wise), limit {worst.Limit:g3} (the CPU with inputs one ulp larger moves it {worst.RoundingError:g3}): " +
              $"{(v.Passed ? "agree" : "DISAGREE")}" +
              string.Concat(v.Tensors.Where(t => !t.Passed).Select(t => $"\n  outside its limit: {t.Name}: {t.GpuError:g3} > {t.Limit:g3}")));
        return v.Passed ? 0 : 1;
    }

    private static object Object(Spread s) => new { median = s.Median, min = s.Min, max = s.Max };

    public static string ToTable(BenchResult r)
    {
        var s = r.Settings;
        bool train = s.Mode == BenchMode.Train;
        var text = new StringBuilder();
        bool cpu = r.Device == "cpu";
        text.AppendLine($"model {s.Model}, {(train ? "train" : "infer")}, batch {s.Batch}, {(cpu ? $"{s.Threads} thread{(s.Threads == 1 ? "" : "s")}" : r.Device)}, {s.Warmup} warm-up + {s.Repeats} timed steps, {(cpu ? "Sgemm kernel " : "")}{r.Kernel}{(s.Precision == WeightPrecision.BFloat16 ? ", bf16 FC weights" : "")}");
        // Three significant figures at least: a 0.02 ms step of alexnet-micro printed as "0.0 ms" and "0.0 GFLOP per step".
        text.AppendLine($"step        {F(r.StepMs.Median),9} ms   (min {F(r.StepMs.Min)}, p99 {F(r.StepMsP99)}, max {F(r.StepMs.Max)})");
        text.AppendLine($"images/s    {F(r.ImagesPerSecond.Median),9}      (min {F(r.ImagesPerSecond.Min)}, max {F(r.ImagesPerSecond.Max)})");
        string work = r.StepGflop >= 0.1 ? $"{F(r.StepGflop)} GFLOP" : $"{F(r.StepGflop * 1e3)} MFLOP"; // as info switches to M
        text.AppendLine($"GFLOP/s     {F(r.Gflops.Median),9}      (min {F(r.Gflops.Min)}, max {F(r.Gflops.Max)}; {work} per step{(train ? " = forward + backward" : "")})");
        if (cpu)
        {
            // More threads than processors: they take turns, so neither the peak nor the CPUs they can use grow past the processors.
            string cores = s.Threads > r.Processors ? $"{r.PeakCores} x one core: {s.Threads} threads on {r.Processors} processors" : $"{r.PeakCores} x one core";
            text.AppendLine($"% of peak   {F(100 * r.Gflops.Median / r.PeakGflops),9} %    (measured FMA peak {r.PeakGflops:F1} GFLOP/s = {cores})");
            text.AppendLine($"CPUs used   {r.CpusUsed,9:F2}      (CPU time / wall time; " + (s.Threads > r.Processors
                ? $"{s.Threads} threads share {r.Processors} processors, so at most {r.Processors}; below: other work had the cores part of the time)"
                : $"below {s.Threads}: other work had the cores part of the time; above: the runtime's own threads, JIT and GC, ran too)"));
            if (r.CoresShared)
                text.AppendLine($"warning: this process got {r.CpusUsed:F2} of the {r.PeakCores} cores it could use: other work shared them, so the rates above are low by about that share; measure again on a quiet machine");
        }
        else if (double.IsFinite(r.PeakGflops))
            text.AppendLine($"% of peak   {F(100 * r.Gflops.Median / r.PeakGflops),9} %    (FP32 FMA peak {r.PeakGflops:F0} GFLOP/s = 2 x SMs x FP32 cores per SM x clock)");
        else
            text.AppendLine("% of peak           -      (no FP32 peak known for this device)");
        text.AppendLine($"allocated   {r.AllocatedBytesPerStep,9:N0} bytes per step");
        text.AppendLine();
        text.AppendLine($"per layer (median of {s.Repeats} passes, layers timed one at a time{(cpu ? "" : " with device events")}; " +
            "GFLOP/s are direct-equivalent: 2 x the direct method's multiply-adds / time):");
        text.AppendLine($"{"layer",-12} {"kind",-18} {"fwd ms",9} {"GFLOP/s",8} {(train ? $"{"bwd ms",9} {"GFLOP/s",8}" : "")} {"share",6}");
        double total = r.Layers.Sum(l => l.ForwardMs + l.BackwardMs) + r.LossMs + r.SgdMs;
        foreach (var l in r.Layers)
        {
            string backwardColumns = train ? $"{F(l.BackwardMs),9} {Rate(l.BackwardGflops),8}" : "";
            string algorithm = l.Algorithm is null || l.Algorithm == "direct" ? ""
                : l.MultiplyRatio is { } ratio ? $"  {l.Algorithm}: {ratio:F2}x the multiplies"
                : $"  {l.Algorithm}";
            text.AppendLine($"{Diagnostics.TerminalColumns.PadRight(l.Name, 12)} {l.Kind,-18} {F(l.ForwardMs),9} {Rate(l.ForwardGflops),8} {backwardColumns} {Share(l.ForwardMs + l.BackwardMs, total),5}%{algorithm}");
        }
        if (train)
        {
            text.AppendLine($"{"loss",-12} {"CrossEntropy",-18} {F(r.LossMs),9} {"",8} {"",9} {"",8} {Share(r.LossMs, total),5}%");
            text.AppendLine($"{"sgd",-12} {"Sgd.Step",-18} {F(r.SgdMs),9} {"",8} {"",9} {"",8} {Share(r.SgdMs, total),5}%");
        }
        text.Append($"{"sum",-12} {"",-18} {F(total),9} ms");
        return text.ToString();
    }

    private static string Rate(double? gflops) => gflops is { } g ? F(g) : "-";

    private static string F(double value) => SignificantFigures.Format(value);

    /// <summary>A share of the summed time in %, one decimal; a nonzero share too small for it is "<0.1", not 0.0.</summary>
    private static string Share(double ms, double totalMs)
    {
        double percent = 100 * ms / totalMs;
        return percent > 0 && percent < 0.05 ? "<0.1" : percent.ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
    }
}
