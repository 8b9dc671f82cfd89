// Answers told browsers nothing about how to treat them, and every one said "Server: Kestrel". Now every answer has
// X-Content-Type-Options: nosniff, the page a Content-Security-Policy (BrowserTests checks the page still works under
// it), and none a Server header.
using System.Net;
using System.Net.Http.Headers;
using ConvNet.Serving.Http;

namespace ConvNet.Tests.Serving;

public sealed class ProtectiveHeaderTests(ServeFixture fixture) : IClassFixture<ServeFixture>
{
    private async Task<HttpResponseMessage[]> Answers()
    {
        var refused = new ByteArrayContent([1, 2, 3]);
        refused.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        return
        [
            await fixture.Client.GetAsync("/"),
            await fixture.Client.GetAsync("/app.js"),
            await fixture.Client.GetAsync("/healthz"),
            await fixture.Client.GetAsync("/v1/model"),
            await fixture.Client.GetAsync("/no/such/route"),
            await fixture.Client.PostAsync("/v1/predict", refused),
        ];
    }

    [Fact]
    public async Task EveryAnswerSaysNosniffAndNamesNoServer()
    {
        foreach (var response in await Answers())
        {
            string what = $"{response.RequestMessage!.Method} {response.RequestMessage.RequestUri!.AbsolutePath} ({(int)response.StatusCode})";
            Assert.True(response.Headers.TryGetValues("X-Content-Type-Options", out var values) && values.Single() == "nosniff", $"{what}: no nosniff");
            Assert.False(response.Headers.Contains("Server"), $"{what}: Server: {string.Join(", ", response.Headers.Server)}");
        }
    }

    [Fact]
    public async Task ThePageHasAContentSecurityPolicyThatForbidsFramingAndInlineCode()
    {
        var page = await fixture.Client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        string policy = page.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Equal(InfoEndpoints.PagePolicy, policy);
        Assert.Contains("frame-ancestors 'none'", policy);
        Assert.Contains("default-src 'self'", policy);
        Assert.DoesNotContain("unsafe-inline", policy);
    }
}
