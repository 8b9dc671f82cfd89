// The malformed-request set: every bad request gets a 4xx with a JSON error naming the problem, never a 5xx, and the
// server keeps answering afterwards.
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using ConvNet.Random;
using ConvNet.Tests.Support;
using SkiaSharp;

namespace ConvNet.Tests.Serving;

public sealed class MalformedRequestTests(ServeFixture fixture) : IClassFixture<ServeFixture>
{
    private static ByteArrayContent Body(byte[] bytes, string? type)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = type is null ? null : MediaTypeHeaderValue.Parse(type);
        return content;
    }

    private async Task<string> Refused(HttpResponseMessage response, HttpStatusCode expected, string mentions)
    {
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var error = JsonDocument.Parse(text).RootElement;
        Assert.Equal((int)expected, error.GetProperty("status").GetInt32());
        string message = error.GetProperty("error").GetString()!;
        Assert.Contains(mentions, message, StringComparison.OrdinalIgnoreCase);
        return message;
    }

    private static byte[] Jpeg()
    {
        using var picture = SyntheticImages.Picture(1, 300, 200, new Rng(4));
        return SyntheticImages.Encode(picture, SKEncodedImageFormat.Jpeg);
    }

    [Fact]
    public async Task EmptyBodyIs400()
    {
        await Refused(await fixture.Client.PostAsync("/v1/predict", Body([], "image/jpeg")), HttpStatusCode.BadRequest, "empty");
        await Refused(await fixture.Client.PostAsync("/v1/predict", Body([], null)), HttpStatusCode.BadRequest, "empty");
    }

    [Fact]
    public async Task TruncatedJpegIs400()
    {
        byte[] jpeg = Jpeg();
        await Refused(await fixture.Client.PostAsync("/v1/predict", Body(jpeg[..(jpeg.Length / 2)], "image/jpeg")), HttpStatusCode.BadRequest, "truncated");
    }

    [Fact]
    public async Task TextIs415AsTextAnd400AsAnImage()
    {
        byte[] text = Encoding.UTF8.GetBytes("this is not a picture\n");
        await Refused(await fixture.Client.PostAsync("/v1/predict", Body(text, "text/plain")), HttpStatusCode.UnsupportedMediaType, "text/plain");
        await Refused(await fixture.Client.PostAsync("/v1/predict", Body(text, "image/png")), HttpStatusCode.BadRequest, "not a readable");
    }

    [Fact]
    public async Task WrongContentTypeIs415NamingWhatToSend()
    {
        string message = await Refused(await fixture.Client.PostAsync("/v1/predict", Body(Jpeg(), "application/json")), HttpStatusCode.UnsupportedMediaType, "application/json");
        Assert.Contains("image/jpeg", message);
        await Refused(await fixture.Client.PostAsync("/v1/predict", new FormUrlEncodedContent([new("image", "x")])), HttpStatusCode.UnsupportedMediaType, "x-www-form-urlencoded");
    }

    [Fact]
    public async Task ImageFormatsOtherThanJpegAndPngAre415()
    {
        using var picture = SyntheticImages.Picture(2, 64, 64, new Rng(3));
        using var webp = picture.Encode(SKEncodedImageFormat.Webp, 80);
        await Refused(await fixture.Client.PostAsync("/v1/predict", Body(webp.ToArray(), "image/webp")), HttpStatusCode.UnsupportedMediaType, "WebP");
        byte[] tiff = [(byte)'I', (byte)'I', 42, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        await Refused(await fixture.Client.PostAsync("/v1/predict", Body(tiff, "image/tiff")), HttpStatusCode.UnsupportedMediaType, "TIFF");
    }

    [Fact]
    public async Task HeaderDeclaring30000By30000PixelsIsRefusedBeforeDecoding()
    {
        // 900 million pixels would be 3.6 GB decoded; refusing from the header allocates next to nothing. The count is
        // the whole process's, and test classes beside this one allocate too (a Fashion-MNIST load is 190 MB): the
        // bound is well under a decode, and a measure spoilt by a neighbour is taken again.
        long fewest = long.MaxValue;
        for (int attempt = 0; attempt < 3 && fewest >= 1_000_000_000; attempt++)
        {
            long before = GC.GetTotalAllocatedBytes(precise: true);
            await Refused(await fixture.Client.PostAsync("/v1/predict", Body(SyntheticImages.HugePng(30_000, 30_000), "image/png")), HttpStatusCode.RequestEntityTooLarge, "30000x30000");
            fewest = Math.Min(fewest, GC.GetTotalAllocatedBytes(precise: true) - before);
        }
        Assert.True(fewest < 1_000_000_000, $"refusing the header allocated {fewest:N0} bytes");
    }

    [Fact]
    public async Task BodiesOverTheLimitAre413RawOrMultipart()
    {
        var big = new byte[1_500_000]; // the fixture's limit is 1 MB
        Jpeg().CopyTo(big, 0);
        // As curl does for large bodies, the client waits for the server's go-ahead (Expect: 100-continue): the
        // server answers 413 at once, and no megabytes are sent only to be refused.
        static HttpRequestMessage Post(HttpContent content) =>
            new(HttpMethod.Post, "/v1/predict") { Content = content, Headers = { ExpectContinue = true } };
        await Refused(await fixture.Client.SendAsync(Post(Body(big, "image/jpeg"))), HttpStatusCode.RequestEntityTooLarge, "limit");
        using var form = new MultipartFormDataContent { { Body(big, "image/jpeg"), "image", "big.jpg" } };
        await Refused(await fixture.Client.SendAsync(Post(form)), HttpStatusCode.RequestEntityTooLarge, "limit");
    }

    [Fact]
    public async Task MultipartWithoutAFileIs400()
    {
        using var form = new MultipartFormDataContent { { new StringContent("hello"), "note" } };
        await Refused(await fixture.Client.PostAsync("/v1/predict", form), HttpStatusCode.BadRequest, "no file");
    }

    [Fact]
    public async Task MultipartWithTwoFilesIs400NotTheFirstOnesAnswer()
    {
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(Jpeg()), "image", "a.jpg" },
            { new ByteArrayContent(Jpeg()), "image2", "b.jpg" },
        };
        await Refused(await fixture.Client.PostAsync("/v1/predict", form), HttpStatusCode.BadRequest, "one image a request");
    }

    // Fuzzer find (fuzz/run.sh serve): a multipart body cut before its closing boundary was a 500 (the form reader's
    // IOException "Unexpected end of Stream").
    [Fact]
    public async Task MultipartCutBeforeItsClosingBoundaryIs400()
    {
        byte[] body = [.. Encoding.ASCII.GetBytes("--cut\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.jpg\"\r\n"
            + "Content-Type: image/jpeg\r\n\r\n"), .. Jpeg()[..100]];
        await Refused(await fixture.Client.PostAsync("/v1/predict", Body(body, "multipart/form-data; boundary=cut")), HttpStatusCode.BadRequest, "closing boundary line --cut--");
    }

    // The form reader's own words reached the client: "Unexpected end of Stream, the content may have already been read
    // by another component.", "Line length limit 100 exceeded.", "Form value count limit 16 exceeded."
    [Fact]
    public async Task MalformedMultipartBodiesAreExplainedInMultipartsTerms()
    {
        static byte[] Form(string boundary, string part, string newline = "\r\n") =>
            Encoding.ASCII.GetBytes($"--{boundary}{newline}{part}{newline}{newline}{new string('x', 200)}{newline}--{boundary}--{newline}");
        const string file = "Content-Disposition: form-data; name=\"image\"; filename=\"a.png\"";
        string fields = string.Concat(Enumerable.Range(0, 20).Select(i => $"Content-Disposition: form-data; name=\"f{i}\"\r\n\r\nv\r\n--b\r\n"));
        var cases = new (byte[] Body, string Type, string Says)[]
        {
            (Form("b", file), "multipart/form-data; boundary=other", "closing boundary line --other--"),
            (Form("b", file, "\n"), "multipart/form-data; boundary=b", "does not end with CRLF"),
            (Form("b", "Content-Type: image/png"), "multipart/form-data; boundary=b", "no Content-Disposition"),
            (Encoding.ASCII.GetBytes($"--b\r\n{fields}{file}\r\n\r\nimage bytes\r\n--b--\r\n"), "multipart/form-data; boundary=b", "more than 16 fields"),
        };
        foreach (var (body, type, says) in cases)
        {
            string message = await Refused(await fixture.Client.PostAsync("/v1/predict", Body(body, type)), HttpStatusCode.BadRequest, says);
            Assert.StartsWith("malformed multipart body: ", message);
            Assert.Contains("curl -F image=@", message);
            foreach (var internals in new[] { "Stream", "component", "exceeded", "limit 100" })
                Assert.DoesNotContain(internals, message);
        }
    }

    // An upload below Kestrel's minimum rate was refused with Kestrel's words ("See MinRequestBodyDataRate").
    [Fact]
    public async Task AnUploadSlowerThanTheMinimumRateIs408WithTheRate()
    {
        var (status, _, body) = await Raw("POST /v1/predict", "Content-Type: image/png\r\nContent-Length: 5000", "\x89PNG\r\n\x1a\n12");
        Assert.True(status == 408, $"{status}: {body}");
        string message = JsonDocument.Parse(body).RootElement.GetProperty("error").GetString()!;
        Assert.Contains("too slowly", message);
        Assert.Contains("240 bytes a second", message);
        Assert.DoesNotContain("MinRequestBodyDataRate", message);
    }

    [Fact]
    public async Task AMalformedChunkedBodyIs400SayingSo()
    {
        var (status, _, body) = await Raw("POST /v1/predict", "Content-Type: image/png\r\nTransfer-Encoding: chunked", "zz\r\n\x89PNG\r\n");
        Assert.True(status == 400, $"{status}: {body}");
        Assert.Contains("chunked transfer encoding is malformed", JsonDocument.Parse(body).RootElement.GetProperty("error").GetString());
    }

    // A chunk size too large for Kestrel's int (it throws a bare IOException, not its BadHttpRequestException) was a
    // logged 500 "internal error: Bad chunk size data.", and inside a form a 400 blaming the multipart boundary.
    [Fact]
    public async Task AnOverflowingChunkSizeIs400SayingTheChunkedEncodingIsMalformed()
    {
        foreach (var type in new[] { "image/png", "multipart/form-data; boundary=b" })
        foreach (var size in new[] { "fffffffff", "100000000" })
        {
            var (status, _, body) = await Raw("POST /v1/predict", $"Content-Type: {type}\r\nTransfer-Encoding: chunked", $"{size}\r\nabc");
            Assert.True(status == 400, $"{type}, {size}: {status}: {body}");
            string message = JsonDocument.Parse(body).RootElement.GetProperty("error").GetString()!;
            Assert.Contains("chunked transfer encoding is malformed", message);
            Assert.DoesNotContain("boundary", message);
        }
    }

    // Over 16 KB before a form's first boundary was "its Content-Type names no boundary" (the catch-all matched the
    // word "boundary" in "Too much data before the first boundary"); oversized chunked trailers were a 431 worded as a
    // malformed or cut chunked body.
    [Fact]
    public async Task APreambleOver16KbAndOversizedTrailersAreEachNamed()
    {
        byte[] form = [.. Encoding.ASCII.GetBytes(new string('x', 17_000) + "\r\n--b\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.jpg\"\r\n\r\n"),
            .. Jpeg(), .. Encoding.ASCII.GetBytes("\r\n--b--\r\n")];
        string message = await Refused(await fixture.Client.PostAsync("/v1/predict", Body(form, "multipart/form-data; boundary=b")), HttpStatusCode.BadRequest,
            "more than 16,384 bytes come before its first boundary line --b");
        Assert.DoesNotContain("names no boundary", message);

        var (status, _, body) = await Raw("POST /v1/predict", "Content-Type: image/png\r\nTransfer-Encoding: chunked",
            $"3\r\nabc\r\n0\r\nX-Trailer: {new string('a', 40_000)}\r\n\r\n");
        Assert.True(status == 431, $"{status}: {body}");
        string trailers = JsonDocument.Parse(body).RootElement.GetProperty("error").GetString()!;
        Assert.Contains("trailer fields are over the server's limits", trailers);
        Assert.DoesNotContain("malformed", trailers);
    }

    // A prefix test took these as images.
    [Fact]
    public async Task ContentTypesThatOnlyStartLikeAnImageTypeAre415()
    {
        foreach (var type in new[] { "application/octet-streamfoo", "image/", "imagery/png" })
        {
            var content = Body(Jpeg(), null);
            content.Headers.TryAddWithoutValidation("Content-Type", type);
            await Refused(await fixture.Client.PostAsync("/v1/predict", content), HttpStatusCode.UnsupportedMediaType, type);
        }
        Assert.Equal(HttpStatusCode.OK, (await fixture.Client.PostAsync("/v1/predict", Body(Jpeg(), "image/jpeg; q=1"))).StatusCode);
    }

    // A gzipped image was decoded as if it were the image (400 "not a readable image"), and a plain one sent with the
    // header was taken. RFC 9110, 15.5.16: 415, and Accept-Encoding says what would be taken.
    [Fact]
    public async Task ACompressedBodyIs415NamingItsContentEncoding()
    {
        byte[] jpeg = Jpeg();
        using var zipped = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(zipped, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(jpeg);
        foreach (var bytes in new[] { zipped.ToArray(), jpeg })
        {
            var content = Body(bytes, "image/jpeg");
            content.Headers.ContentEncoding.Add("gzip");
            var response = await fixture.Client.PostAsync("/v1/predict", content);
            await Refused(response, HttpStatusCode.UnsupportedMediaType, "Content-Encoding gzip");
            Assert.Equal("identity", Assert.Single(response.Headers.GetValues("Accept-Encoding")));
        }
        var identity = Body(jpeg, "image/jpeg");
        identity.Headers.ContentEncoding.Add("identity");
        Assert.Equal(HttpStatusCode.OK, (await fixture.Client.PostAsync("/v1/predict", identity)).StatusCode);
    }

    // Skia's result names reached the client: "(IncompleteInput)", "(InvalidInput)".
    [Fact]
    public async Task UnreadableImagesAreExplainedInWords()
    {
        await Refused(await fixture.Client.PostAsync("/v1/predict", Body(SyntheticImages.HugePng(0, 10), "image/png")), HttpStatusCode.BadRequest, "empty image (0x10)");
        byte[] bmpLike = [(byte)'B', (byte)'M', .. Enumerable.Range(0, 200).Select(i => (byte)(i * 37 + 11))];
        string message = await Refused(await fixture.Client.PostAsync("/v1/predict", Body(bmpLike, "image/bmp")), HttpStatusCode.BadRequest, "not a readable JPEG or PNG image");
        Assert.DoesNotContain("Input)", message);
    }

    [Fact]
    public async Task BadParametersAre400()
    {
        // A sign or spaces around the number were taken (int.TryParse's default).
        foreach (var top in new[] { "0", "abc", "99", "%203", "3%20", "%2B3", "3.0", "" })
            await Refused(await fixture.Client.PostAsync($"/v1/predict?top={top}", Body(Jpeg(), "image/jpeg")), HttpStatusCode.BadRequest, "top must be a whole number");
    }

    // A parameter given twice was bound as "1,2" and refused as a bad value ("unknown layer 'fc7,fc6'").
    [Fact]
    public async Task AQueryParameterGivenTwiceIs400SayingSo()
    {
        string message = await Refused(await fixture.Client.PostAsync("/v1/predict?top=1&top=2", Body(Jpeg(), "image/jpeg")), HttpStatusCode.BadRequest, "top is given 2 times");
        Assert.Contains("(top=1, top=2)", message);
        await Refused(await fixture.Client.PostAsync("/v1/features?layer=fc7&layer=fc6", Body(Jpeg(), "image/jpeg")), HttpStatusCode.BadRequest, "layer is given 2 times");
        await Refused(await fixture.Client.GetAsync("/v1/filters?layer=conv1&layer=conv2"), HttpStatusCode.BadRequest, "layer is given 2 times");
    }

    // The query parameter is named as a URL would name it, not as the CLI's --layer.
    [Fact]
    public async Task LayerErrorsNameTheQueryParameterNotACliOption()
    {
        foreach (var (layer, why) in new[] { ("fc9", "no layer"), ("fc7", "not a convolution") })
        {
            string message = await Refused(await fixture.Client.GetAsync($"/v1/filters?layer={layer}"), HttpStatusCode.BadRequest, why);
            Assert.StartsWith($"layer '{layer}'", message);
            Assert.Contains("conv1", message);
            Assert.DoesNotContain("--", message);
        }
        foreach (var query in new[] { "?layer=fc9", "?layer=", "" })
        {
            string message = await Refused(await fixture.Client.PostAsync("/v1/features" + query, Body(Jpeg(), "image/jpeg")), HttpStatusCode.BadRequest, "layer");
            Assert.DoesNotContain("--", message);
        }
    }

    [Fact]
    public async Task UnknownRoutesAre404AndWrongMethods405()
    {
        await Refused(await fixture.Client.GetAsync("/v2/predict"), HttpStatusCode.NotFound, "/v2/predict");
        await Refused(await fixture.Client.PostAsync("/nothing/here", Body(Jpeg(), "image/jpeg")), HttpStatusCode.NotFound, "openapi.json");
        await Refused(await fixture.Client.GetAsync("/v1/predict"), HttpStatusCode.MethodNotAllowed, "POST");
        // Paths that look like files were ASP.NET's empty 404 (MapFallback's default pattern skips them).
        foreach (var file in new[] { "/index.html", "/nope.js", "/v1/model.json", "/favicon.ico" })
            await Refused(await fixture.Client.GetAsync(file), HttpStatusCode.NotFound, file);
        var post = await fixture.Client.PostAsync("/healthz", Body([], "image/jpeg"));
        await Refused(post, HttpStatusCode.MethodNotAllowed, "GET or HEAD");
        Assert.Equal(["GET", "HEAD"], post.Content.Headers.Allow.Order());
        var head = await fixture.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/nope.js"));
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        Assert.Equal("application/json", head.Content.Headers.ContentType?.MediaType);
    }

    // Routing serves POST /V1/PREDICT/ as /v1/predict (it ignores case and one trailing slash), but the wrong method there
    // was a 404 "no route", as if the path did not exist.
    [Fact]
    public async Task WrongMethodsOnACaseOrTrailingSlashVariantOfARouteAre405()
    {
        foreach (var path in new[] { "/v1/predict/", "/V1/PREDICT", "/V1/Predict/" })
        {
            var get = await fixture.Client.GetAsync(path);
            await Refused(get, HttpStatusCode.MethodNotAllowed, "/v1/predict answers POST, not GET");
            Assert.Equal(["POST"], get.Content.Headers.Allow);
            await Refused(await fixture.Client.PostAsync(path, Body([], "image/jpeg")), HttpStatusCode.BadRequest, "empty"); // served
        }
        var post = await fixture.Client.PostAsync("/HEALTHZ/", Body([], "image/jpeg"));
        await Refused(post, HttpStatusCode.MethodNotAllowed, "/healthz answers GET or HEAD");
        Assert.Equal(["GET", "HEAD"], post.Content.Headers.Allow.Order());
        Assert.Equal(HttpStatusCode.OK, (await fixture.Client.GetAsync("/HEALTHZ/")).StatusCode);
        // Two slashes are another path to routing, and so to the 405 check.
        await Refused(await fixture.Client.GetAsync("/v1/predict//"), HttpStatusCode.NotFound, "no route GET /v1/predict//");
    }

    // A request written by hand on a socket, for what HttpClient will not send (a lowercase method, OPTIONS *, a stalled
    // body, broken chunks).
    private async Task<(int Status, string Headers, string Body)> Raw(string requestLine, string? headers = null, string body = "")
    {
        var address = fixture.Server.Address;
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        await socket.ConnectAsync(address.Host, address.Port);
        await socket.SendAsync(Encoding.Latin1.GetBytes(
            $"{requestLine} HTTP/1.1\r\nHost: {address.Authority}\r\nConnection: close\r\n{(headers is null ? "" : headers + "\r\n")}\r\n{body}"));
        var received = new MemoryStream();
        var buffer = new byte[4096];
        for (int n; (n = await socket.ReceiveAsync(buffer, System.Net.Sockets.SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(30))) > 0;) received.Write(buffer, 0, n);
        string answer = Encoding.Latin1.GetString(received.ToArray());
        int split = answer.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        string content = answer[(split + 4)..];
        // Chunked: the one chunk's size line before the JSON, and the last chunk after it.
        if (content.Contains('{')) content = content[content.IndexOf('{')..(content.LastIndexOf('}') + 1)];
        return (int.Parse(answer.Split(' ')[1]), answer[..split], content);
    }

    // HTTP methods are case-sensitive (RFC 9110, 9.1) and Kestrel passes "get" on as it came, but routing matched it
    // to GET: it was served.
    [Fact]
    public async Task ALowercaseMethodIsNotServedAsTheUppercaseOne()
    {
        var (status, headers, body) = await Raw("get /healthz");
        Assert.True(status == 405, $"{status}: {body}");
        Assert.Contains("Allow: GET, HEAD", headers);
        Assert.Contains("not get (HTTP methods are case-sensitive)", JsonDocument.Parse(body).RootElement.GetProperty("error").GetString());
        Assert.Equal(405, (await Raw("post /v1/predict")).Status);
        Assert.Equal(200, (await Raw("GET /healthz")).Status);
    }

    [Fact]
    public async Task OptionsStarNamesItsTarget()
    {
        var (status, _, body) = await Raw("OPTIONS *");
        Assert.Equal(404, status);
        Assert.StartsWith("no route OPTIONS *: ", JsonDocument.Parse(body).RootElement.GetProperty("error").GetString());
    }

    [Fact]
    public async Task WrongMethodsOnARealRouteAreCountedUnderThatRoute()
    {
        foreach (var method in new[] { HttpMethod.Get, HttpMethod.Options, HttpMethod.Head })
            Assert.Equal(HttpStatusCode.MethodNotAllowed, (await fixture.Client.SendAsync(new HttpRequestMessage(method, "/v1/predict"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Client.GetAsync("/v2/predict")).StatusCode);
        string metrics = await fixture.Client.GetStringAsync("/metrics");
        Assert.Contains("convnet_requests_total{route=\"/v1/predict\",status=\"405\"}", metrics);
        Assert.DoesNotContain("route=\"unmatched\",status=\"405\"", metrics);
        Assert.Contains("convnet_requests_total{route=\"unmatched\",status=\"404\"}", metrics);
    }

    [Fact]
    public async Task AfterEveryBadRequestTheServerStillAnswersAndNeverGave5xx()
    {
        await EmptyBodyIs400();
        await TruncatedJpegIs400();
        await TextIs415AsTextAnd400AsAnImage();
        await HeaderDeclaring30000By30000PixelsIsRefusedBeforeDecoding();
        await BodiesOverTheLimitAre413RawOrMultipart();
        var ok = await fixture.Client.PostAsync("/v1/predict", Body(Jpeg(), "image/jpeg"));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        string metrics = await fixture.Client.GetStringAsync("/metrics");
        Assert.DoesNotMatch("status=\"5\\d\\d\"", metrics);
    }
}
