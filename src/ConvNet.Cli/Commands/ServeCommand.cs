// `convnet serve --checkpoint RUN`: the checkpoint behind an HTTP API with dynamic batching, and a web page at /.
// Opens the checkpoint as predict does (its preprocessing and class names), so a served answer equals predict's.
using System.CommandLine;
using ConvNet.Devices;
using ConvNet.Evaluation;
using ConvNet.Inference;
using ConvNet.Kernels.Cpu;
using ConvNet.Models;
using ConvNet.Serving;
using ConvNet.Tensors;
using ConvNet.Threading;
using ConvNet.Training;
using ConvNet.Visualization;

namespace ConvNet.Cli.Commands;

public static class ServeCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = InspectionOptions.CheckpointHelp, Required = true };
        var host = new Option<string>("--host") { Description = "Address to listen on (127.0.0.1: this machine only; 0.0.0.0: every interface)", DefaultValueFactory = _ => "127.0.0.1" };
        var port = WholeNumberRange.Of(new Option<int>("--port") { Description = "TCP port (0: any free port, printed at start)", DefaultValueFactory = _ => 8080 }, new(0, 65535));
        var device = DeviceOption.Create();
        var precision = PrecisionOption.Create();
        var convAlgorithm = ConvAlgorithmOption.Create();
        var threads = WholeNumberRange.Of(new Option<int>("--threads") { Description = "CPU threads of a forward pass, and images decoded at once", DefaultValueFactory = _ => Environment.ProcessorCount }, WholeNumberRange.Threads);
        var maxBatch = WholeNumberRange.Of(new Option<int>("--max-batch") { Description = "Images per forward pass at most", DefaultValueFactory = _ => 32 }, WholeNumberRange.AtLeastOne);
        var maxDelay = new Option<double>("--max-delay-ms") { Description = "How long a pass may wait for images still being decoded and for connected clients to send theirs (from the first image's arrival, or the end of the previous pass)", DefaultValueFactory = _ => 5.0 };
        var queue = WholeNumberRange.Of(new Option<int>("--queue") { Description = "Images waiting at most; more are refused with 503 and Retry-After", DefaultValueFactory = _ => 256 }, WholeNumberRange.AtLeastOne);
        var maxBody = new Option<double>("--max-body-mb") { Description = "Largest request body, in MB", DefaultValueFactory = _ => 20.0 };
        var maxPixels = WholeNumberRange.Of(new Option<long>("--max-pixels") { Description = "Images that would decode to more pixels (a large JPEG after 1/2-1/8 scaling, declaring at most 2 times as many) are refused before decoding", DefaultValueFactory = _ => 50_000_000 }, WholeNumberRange.AtLeastOne);
        var allowedHosts = new Option<string>("--allowed-hosts") { Description = "Host header names answered besides localhost, 127.0.0.1 and [::1], comma-separated (* for any): a server on a loopback address refuses others, against DNS rebinding" };
        var command = new Command("serve", "Serve a checkpoint over HTTP: JSON API with dynamic batching, metrics, and a web page at /")
            { checkpoint, host, port, device, precision, convAlgorithm, threads, maxBatch, maxDelay, queue, maxBody, maxPixels, allowedHosts };
        command.SetAction(parse =>
        {
            // Checked as typed, before they become a TimeSpan and a byte count (which overflow, or hide NaN as 0).
            double delayMs = parse.GetValue(maxDelay), bodyMb = parse.GetValue(maxBody);
            if (!(delayMs is >= 0 and <= ServeOptions.MaxDelayMs))
                throw new ArgumentException($"--max-delay-ms must be 0..{ServeOptions.MaxDelayMs} (each pass may wait this long for its images), got {delayMs}");
            if (!(bodyMb is > 0 and <= ServeOptions.MaxBodyMb))
                throw new ArgumentException($"--max-body-mb must be above 0 and at most {ServeOptions.MaxBodyMb} (a body is held in memory), got {bodyMb}");
            var options = new ServeOptions(parse.GetValue(host)!, parse.GetValue(port), parse.GetValue(maxBatch),
                TimeSpan.FromMilliseconds(delayMs), parse.GetValue(queue), (long)(bodyMb * 1_000_000), parse.GetValue(maxPixels),
                DecodeSlots: parse.GetValue(threads),
                AllowedHosts: (parse.GetValue(allowedHosts) ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
            options.Validate();
            var deviceSpec = DeviceOption.Value(parse, device);
            if (deviceSpec.IsGpu) DeviceNetworks.RequireAvailable(deviceSpec);
            string path = parse.GetValue(checkpoint)!;
            using var pool = new WorkerPool(parse.GetValue(threads));
            var model = Open(path, deviceSpec, pool, options.MaxPixels, PrecisionOption.Value(parse, precision, deviceSpec),
                ConvAlgorithmOption.Value(parse, convAlgorithm, deviceSpec));
            return Run(model, options).GetAwaiter().GetResult();
        });
        return command;
    }

    /// <summary>The checkpoint as a served model: predict's preprocessing, networks built on the device.</summary>
    public static ServedModel Open(string path, DeviceSpec device, WorkerPool pool, long maxPixels,
        WeightPrecision precision = WeightPrecision.Float32, ConvAlgorithm convolutions = ConvAlgorithm.Direct)
    {
        var loaded = Checkpoints.Open(path);
        var weights = Checkpoints.LoadNetwork(loaded);
        var paper = loaded.Info.Preprocessing is null ? null : Checkpoints.LoadPreprocessing(loaded);
        var input = ImageInput.For(loaded.Info, paper, maxPixels);
        // The CPU plans one network per batch size (each holds its buffers), all reading the loaded weights (twins share
        // the parameter objects). A GPU network copies the weights to the device, so one host network serves them all.
        bool weightsPlanned = false;
        PlannedNetwork Plan(int batch)
        {
            Network host = device.IsGpu || !weightsPlanned ? weights : weights.Twin();
            weightsPlanned = true;
            host.SetWeightPrecision(precision);
            host.UseConvolutionAlgorithm(convolutions);
            var planned = DeviceNetworks.ForInference(device, host, pool, batch);
            // One pass on zeros now, so the first request does not wait for the JIT and first-touch page faults. Its
            // outputs say whether the weights overflow: such a model would answer every image with a 500, so it is
            // refused here in predict's words (a model that overflows on some images only still gets them per request).
            var logits = planned.Network.Forward(new Tensor([batch, .. planned.Network.Spec.InputShape]), training: false);
            if (NonFiniteOutputs.Any(logits.Span))
            {
                planned.Dispose();
                throw new InvalidOperationException(NonFiniteOutputs.Message(loaded.SidecarPath, "a blank image (zeros after preprocessing)"));
            }
            return planned;
        }
        // The full path, however the checkpoint was named: a run folder gave RUN/last.json, relative to a working
        // directory the clients of /v1/model do not know, while a .safetensors path gave an absolute one.
        return new ServedModel(weights.Name, Path.GetFullPath(loaded.SidecarPath), loaded.Info.ClassNames, input, weights, Plan, loaded.Info.ChannelOrder,
            CheapPlans: !device.IsGpu, WeightsSha256: loaded.Info.WeightsSha256, Step: loaded.Info.Step);
    }

    private static async Task<int> Run(ServedModel model, ServeOptions options)
    {
        await using var server = ConvNetServer.Create(model, options);
        await server.StartAsync();
        if (LabelFont.Typeface is null) Console.Error.WriteLine($"/v1/filters: {LabelFont.MissingMessage}");
        var address = server.BrowsableAddress;
        string everywhere = server.ListensEverywhere ? " (listening on all interfaces)" : "";
        if (server.ListensEverywhere)
            Console.Error.WriteLine("warning: listening on all interfaces: anyone who can reach this machine can use the API and read /v1/model");
        Console.WriteLine($"serving {model.Name} ({model.Classes} classes, from {model.Source}) on {address}{everywhere}");
        Console.WriteLine($"  batches of up to {options.MaxBatch} images, waiting at most {options.Delay.TotalMilliseconds:0.###} ms; planned for {string.Join(", ", server.Batcher.PlannedBatches)}");
        if (options.WarmUp)
            Console.WriteLine($"  forward pass at those sizes: {string.Join(", ", server.Batcher.PassMilliseconds().Select(ms => $"{ms:0.#}"))} ms");
        if (server.ConnectionCap is { } cap and < 100_000)
            Console.WriteLine($"  at most {cap:N0} connections at once (the open-file limit, ulimit -Hn, less the server's own files); more are closed as they arrive");
        Console.WriteLine($"  open {address} in a browser; API: {address}openapi.json; stop with Ctrl+C or SIGTERM");
        // SIGHUP (the ssh session dropped) ended the process at once with 129, requests in flight unanswered: it drains
        // as SIGTERM does (nohup or a service manager keeps a server that should outlive the session).
        using var onHangUp = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true;
            server.RequestStop();
        });
        await server.WaitForShutdownAsync();
        Console.WriteLine($"stopped after {server.Metrics.Images} image{(server.Metrics.Images == 1 ? "" : "s")} in {server.Metrics.ForwardPasses} forward pass{(server.Metrics.ForwardPasses == 1 ? "" : "es")}");
        return 0;
    }
}
