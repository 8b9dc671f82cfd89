// A test that needs Debian's chromium (CI installs it): skipped, saying so, on a machine without it.
namespace ConvNet.Tests.Serving;

public sealed class ChromiumFactAttribute : FactAttribute
{
    public const string Path = "/usr/bin/chromium";

    public ChromiumFactAttribute()
    {
        if (!File.Exists(Path)) Skip = $"{Path} is missing: install Debian's chromium (apt-get install chromium) to run the browser test";
    }
}
