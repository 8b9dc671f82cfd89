// The API of `convnet serve` against Kestrel on a loopback port: answers equal `convnet predict`'s for the same
// checkpoint (both preprocessing pipelines), features equal the network's own layer output, and every route the
// server maps is documented in /openapi.json.
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using ConvNet.Models;
using ConvNet.Tensors;
using ConvNet.Tests.Support;
using ConvNet.Threading;
using ConvNet.Training;

namespace ConvNet.Tests.Serving;

public sealed class ServeApiTests(ServeFixture fixture) : IClassFixture<ServeFixture>
{
    internal static ByteArrayContent ImageContent(string path)
    {
        var content = new ByteArrayContent(File.ReadAllBytes(path));
        content.Headers.ContentType = new MediaTypeHeaderValue(path.EndsWith(".png") ? "image/png" : "image/jpeg");
        return content;
    }

    internal static async Task<JsonElement> Json(HttpResponseMessage response)
    {
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement;
    }

    /// <summary>`convnet predict --json --top K` on the images: per image, class index -> probability.</summary>
    internal static List<Dictionary<int, float>> PredictCli(string run, string[] images, int top)
    {
        var result = CliRunner.Run(["predict", "--checkpoint", run, "--json", "--top", top.ToString(), .. images]);
        Assert.True(result.ExitCode == 0, result.Stderr);
        return JsonDocument.Parse(result.Stdout).RootElement.EnumerateArray()
            .Select(image => image.GetProperty("top").EnumerateArray().ToDictionary(c => c.GetProperty("index").GetInt32(), c => c.GetProperty("probability").GetSingle()))
            .ToList();
    }

    internal static void AssertSameAnswer(Dictionary<int, float> expected, JsonElement top, string image)
    {
        var served = top.EnumerateArray().Select(c => (Index: c.GetProperty("index").GetInt32(), P: c.GetProperty("probability").GetSingle())).ToList();
        Assert.Equal(expected.Count, served.Count);
        foreach (var (index, p) in served)
        {
            Assert.True(expected.TryGetValue(index, out float want), $"{image}: class {index} served, not in predict's answer");
            Assert.True(Math.Abs(want - p) <= 1e-5f, $"{image}: class {index} served {p}, predict {want}");
        }
        // Most likely first, as predict lists them.
        Assert.Equal(expected.OrderByDescending(e => e.Value).Select(e => e.Key), served.Select(s => s.Index));
    }

    [Fact]
    public async Task PredictEqualsThePredictCommandForRawAndMultipartBodies()
    {
        var expected = PredictCli(fixture.Run, fixture.Images, top: 4);
        for (int i = 0; i < fixture.Images.Length; i++)
        {
            var raw = await Json(await fixture.Client.PostAsync("/v1/predict?top=4", ImageContent(fixture.Images[i])));
            AssertSameAnswer(expected[i], raw.GetProperty("top"), fixture.Images[i]);
            Assert.Equal("alexnet-micro", raw.GetProperty("model").GetString());
            var timing = raw.GetProperty("timing");
            Assert.True(timing.GetProperty("forwardMs").GetDouble() > 0);
            Assert.True(timing.GetProperty("batchSize").GetInt32() >= 1);

            using var form = new MultipartFormDataContent { { ImageContent(fixture.Images[i]), "image", Path.GetFileName(fixture.Images[i]) } };
            var multipart = await Json(await fixture.Client.PostAsync("/v1/predict?top=4", form));
            AssertSameAnswer(expected[i], multipart.GetProperty("top"), fixture.Images[i]);
        }
    }

    [Fact]
    public async Task ImageDataRunsAreServedWithTheirMeanImageAndCentreCrop()
    {
        using var temp = new TempDirectory();
        string run = ServeCheckpoints.Write(temp.Combine("run"), imageData: true);
        await using var server = await RunningServer.StartAsync(run);
        var expected = PredictCli(run, fixture.Images, top: 3);
        for (int i = 0; i < fixture.Images.Length; i++)
        {
            var served = await Json(await server.Client.PostAsync("/v1/predict?top=3", ImageContent(fixture.Images[i])));
            AssertSameAnswer(expected[i], served.GetProperty("top"), fixture.Images[i]);
        }
        var model = await Json(await server.Client.GetAsync("/v1/model"));
        Assert.Contains("mean image", model.GetProperty("preprocessing").GetString());
    }

    [Fact]
    public async Task FeaturesAreTheLayersOutputForTheImage()
    {
        var loaded = Checkpoints.Open(fixture.Run);
        var network = Checkpoints.LoadNetwork(loaded);
        using var pool = new WorkerPool(1);
        network.Plan(1, pool);
        var input = ConvNet.Inference.ImageInput.For(loaded.Info, null);
        var x = new Tensor([1, .. network.Spec.InputShape]);
        Assert.Null(input.TryWrite(File.ReadAllBytes(fixture.Images[0]), x.Span));
        network.Forward(x, training: false);
        var fc7 = network.Layers.Single(l => l.Name == "fc7").Output.ToArray();

        var served = await Json(await fixture.Client.PostAsync("/v1/features?layer=fc7", ImageContent(fixture.Images[0])));
        Assert.Equal("fc7", served.GetProperty("layer").GetString());
        Assert.Equal([fc7.Length], served.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        var values = served.GetProperty("values").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        for (int i = 0; i < fc7.Length; i++) Assert.True(Math.Abs(fc7[i] - values[i]) <= 1e-4f * (1 + Math.Abs(fc7[i])), $"fc7[{i}]: served {values[i]}, network {fc7[i]}");
    }

    [Fact]
    public async Task UnknownOrMissingLayerIs400NamingTheLayers()
    {
        foreach (var query in new[] { "?layer=fc9", "" })
        {
            var response = await fixture.Client.PostAsync("/v1/features" + query, ImageContent(fixture.Images[0]));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            string error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString()!;
            Assert.Contains("conv1", error);
            Assert.Contains("fc7", error);
        }
    }

    [Fact]
    public async Task WalkGivesMapsAsPngTilesAndVectorsAsValues()
    {
        var walk = await Json(await fixture.Client.PostAsync("/v1/walk", ImageContent(fixture.Images[1])));
        var layers = walk.GetProperty("layers").EnumerateArray().ToDictionary(l => l.GetProperty("name").GetString()!);
        Assert.Equal(new[] { "conv1", "norm1", "pool1", "conv2", "norm2", "conv3", "conv4", "conv5", "pool5", "fc6", "fc7", "fc8" }, layers.Keys);
        byte[] png = Convert.FromBase64String(layers["conv1"].GetProperty("png").GetString()!);
        using var tiles = SkiaSharp.SKBitmap.Decode(png);
        var shape = layers["conv1"].GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var grid = layers["conv1"].GetProperty("grid").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Assert.Equal(1 + grid[0] * (shape[2] + 1), tiles.Width);
        Assert.Equal(1 + grid[1] * (shape[1] + 1), tiles.Height);
        Assert.Equal(4, layers["fc8"].GetProperty("values").GetArrayLength());
        Assert.False(layers["fc8"].TryGetProperty("png", out _));     // left out, not null
        Assert.False(layers["conv1"].TryGetProperty("values", out _));
        Assert.Equal(4, walk.GetProperty("top").GetArrayLength()); // min(5, classes)
    }

    [Fact]
    public async Task ModelHealthMetricsAndFiltersDescribeTheServer()
    {
        var model = await Json(await fixture.Client.GetAsync("/v1/model"));
        Assert.Equal(["checks", "disc", "hstripes", "vstripes"], model.GetProperty("classNames").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal([3, 32, 32], model.GetProperty("inputShape").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal([1, 2, 4, 8, 16, 32], model.GetProperty("plannedBatches").EnumerateArray().Select(e => e.GetInt32()));
        Assert.True(model.GetProperty("layerOutputs").GetBoolean());
        // Which weights answer: the run may train on, or be replaced, after the server loaded it (pass 42).
        var served = ConvNet.Training.Checkpoints.Open(fixture.Run);
        Assert.Equal(served.Info.WeightsSha256, model.GetProperty("weightsSha256").GetString());
        Assert.Equal(served.Info.Step, model.GetProperty("step").GetInt64());
        Assert.Equal("ok", (await Json(await fixture.Client.GetAsync("/healthz"))).GetProperty("status").GetString());

        await Json(await fixture.Client.PostAsync("/v1/predict", ImageContent(fixture.Images[0])));
        var metrics = await fixture.Client.GetAsync("/metrics");
        Assert.StartsWith("text/plain", metrics.Content.Headers.ContentType!.ToString());
        string text = await metrics.Content.ReadAsStringAsync();
        Assert.Contains("convnet_requests_total{route=\"/v1/predict\",status=\"200\"}", text);
        Assert.Contains("# TYPE convnet_request_duration_seconds histogram", text);
        Assert.Contains("convnet_batch_size_bucket{le=\"+Inf\"}", text);
        Assert.Contains("# TYPE convnet_queue_depth gauge", text);
        Assert.Contains("dotnet_gc_collections_total{generation=\"0\"} ", text);
        Assert.Matches(@"(?m)^dotnet_gc_allocated_bytes_total [1-9][0-9]*$", text);

        var filters = await fixture.Client.GetAsync("/v1/filters");
        Assert.Equal("image/png", filters.Content.Headers.ContentType!.MediaType);
        using var grid = SkiaSharp.SKBitmap.Decode(await filters.Content.ReadAsByteArrayAsync());
        Assert.True(grid.Width > 8 && grid.Height > 8);
    }

    // A run folder named relatively gave RUN/last.json (relative to a directory clients do not know), a .safetensors path
    // an absolute path.
    [Fact]
    public async Task TheModelsSourceIsItsFullPathHoweverTheCheckpointIsNamed()
    {
        string relative = Path.GetRelativePath(Environment.CurrentDirectory, fixture.Run);
        Assert.False(Path.IsPathRooted(relative));
        await using var server = await RunningServer.StartAsync(relative, new ConvNet.Serving.ServeOptions(MaxBatch: 1));
        var model = await Json(await server.Client.GetAsync("/v1/model"));
        Assert.Equal(Path.GetFullPath(Checkpoints.Open(fixture.Run).SidecarPath), model.GetProperty("source").GetString());
    }

    [Fact]
    public async Task OnAGpuDeviceTheModelSaysThereAreNoLayerOutputsSoThePageSkipsTheWalk()
    {
        // The page used to ask for /v1/walk anyway and show its 400 as a red error under every answer.
        await using var server = await RunningServer.StartAsync(fixture.Run, new ConvNet.Serving.ServeOptions { MaxBatch = 2 }, device: "emulated");
        var model = await Json(await server.Client.GetAsync("/v1/model"));
        Assert.False(model.GetProperty("layerOutputs").GetBoolean());
        using var walk = await server.Client.PostAsync("/v1/walk", ImageContent(fixture.Images[0]));
        Assert.Equal(HttpStatusCode.BadRequest, walk.StatusCode);
        string page = await server.Client.GetStringAsync("/app.js");
        Assert.Contains("if (layerOutputs)", page);
    }

    [Fact]
    public async Task OpenApiDocumentListsEveryRoute()
    {
        var document = await Json(await fixture.Client.GetAsync("/openapi.json"));
        Assert.StartsWith("3.", document.GetProperty("openapi").GetString());
        var paths = document.GetProperty("paths");
        var routes = fixture.Server.Server.Routes;
        Assert.Contains(("POST", "/v1/predict"), routes);
        Assert.Contains(("HEAD", "/healthz"), routes);
        // HEAD too: the document listed GET only, though every GET route answers HEAD.
        foreach (var (method, route) in routes)
        {
            Assert.True(paths.TryGetProperty(route, out var item), $"{route} is served but not in /openapi.json");
            Assert.True(item.TryGetProperty(method.ToLowerInvariant(), out _), $"{method} {route} is served but not in /openapi.json");
        }
        Assert.Equal(routes.Select(r => r.Route).Distinct().Order(), paths.EnumerateObject().Select(p => p.Name).Order());
    }

    // The document left out the errors the server gives: no 408 (a slow upload), 500 (a model whose outputs are NaN),
    // 404 or 405 (with Allow), no default; /v1/filters' 400 was the image one ("Empty body, not a readable image").
    [Fact]
    public async Task OpenApiDocumentDeclaresTheErrorsEachRouteGives()
    {
        var document = await Json(await fixture.Client.GetAsync("/openapi.json"));
        var paths = document.GetProperty("paths");
        foreach (var route in new[] { "/v1/predict", "/v1/features", "/v1/walk" })
        {
            var responses = paths.GetProperty(route).GetProperty("post").GetProperty("responses");
            foreach (var status in new[] { "400", "408", "413", "415", "500", "503" })
                Assert.True(responses.TryGetProperty(status, out _), $"POST {route} does not declare {status}");
        }
        foreach (var path in paths.EnumerateObject())
            foreach (var operation in path.Value.EnumerateObject())
                Assert.True(operation.Value.GetProperty("responses").TryGetProperty("default", out _), $"{operation.Name} {path.Name} has no default response");
        var responsesDeclared = document.GetProperty("components").GetProperty("responses");
        Assert.True(responsesDeclared.TryGetProperty("NotFound", out _));
        Assert.True(responsesDeclared.GetProperty("MethodNotAllowed").GetProperty("headers").TryGetProperty("Allow", out _));
        string filters400 = paths.GetProperty("/v1/filters").GetProperty("get").GetProperty("responses").GetProperty("400").GetProperty("$ref").GetString()!;
        Assert.DoesNotContain("BadImage", filters400);
    }

    // top was declared with default 5, but a 4-class model answers 4 classes without top and refuses top=5.
    [Fact]
    public async Task TheDocumentedDefaultOfTopIsWhatAModelWithFewerClassesGives()
    {
        var document = await Json(await fixture.Client.GetAsync("/openapi.json"));
        var top = document.GetProperty("paths").GetProperty("/v1/predict").GetProperty("post").GetProperty("parameters").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "top");
        Assert.False(top.GetProperty("schema").TryGetProperty("default", out _));
        Assert.Contains("Default 5, or all the classes when the model has fewer", top.GetProperty("description").GetString());
        var answer = await Json(await fixture.Client.PostAsync("/v1/predict", ImageContent(fixture.Images[0])));
        Assert.Equal(4, answer.GetProperty("top").GetArrayLength());
        using var five = await fixture.Client.PostAsync("/v1/predict?top=5", ImageContent(fixture.Images[0]));
        Assert.Equal(HttpStatusCode.BadRequest, five.StatusCode);
    }

    [Fact]
    public async Task HeadIsAnsweredLikeGetWithoutTheBody()
    {
        var gets = fixture.Server.Server.Routes.Where(r => r.Method == "GET").Select(r => r.Route).ToList();
        Assert.Contains("/healthz", gets);
        foreach (var route in gets)
        {
            using var get = await fixture.Client.GetAsync(route);
            using var head = await fixture.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, route));
            Assert.True(head.StatusCode == HttpStatusCode.OK, $"HEAD {route}: {(int)head.StatusCode}");
            Assert.Equal(get.Content.Headers.ContentType, head.Content.Headers.ContentType);
            Assert.Empty(await head.Content.ReadAsByteArrayAsync());
        }
    }

    // docs/serve.md: the filters are drawn "as `convnet show filters` draws them", labels included.
    [Theory]
    [InlineData("", "conv1")]
    [InlineData("?layer=", "conv1")]
    [InlineData("?layer=conv2", "conv2")]
    public async Task FiltersAreThePictureTheShowCommandDraws(string query, string layer)
    {
        string drawn = Path.Combine(fixture.Folder, $"filters-{layer}-{query.Length}.png");
        var cli = CliRunner.Run("show", "filters", "--checkpoint", fixture.Run, "--layer", layer, "--out", drawn, "--force");
        Assert.True(cli.ExitCode == 0, cli.Stderr);
        var response = await fixture.Client.GetAsync("/v1/filters" + query);
        Assert.Equal("image/png", response.Content.Headers.ContentType!.MediaType);
        using var served = SkiaSharp.SKBitmap.Decode(await response.Content.ReadAsByteArrayAsync());
        using var expected = SkiaSharp.SKBitmap.Decode(drawn);
        Assert.Equal((expected.Width, expected.Height), (served.Width, served.Height));
        Assert.Equal(expected.Pixels, served.Pixels);
    }

    [Fact]
    public async Task ThePageAndItsFilesAreServedFromTheAssembly()
    {
        string page = await fixture.Client.GetStringAsync("/");
        Assert.Contains("<script src=\"/app.js\">", page);
        Assert.DoesNotContain("http://", page.Replace("http://www.w3.org", ""));
        Assert.Contains("/v1/walk", await fixture.Client.GetStringAsync("/app.js"));
        Assert.Contains(".tiles", await fixture.Client.GetStringAsync("/style.css"));
    }
}
