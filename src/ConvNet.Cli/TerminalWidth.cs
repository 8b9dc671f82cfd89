// How wide the terminal a redrawn line goes to is. .NET's Console.WindowWidth asks the terminal on standard output or
// input, so a progress line on stderr, with both of those redirected (`convnet features ... </dev/null >log` in a
// terminal), was fitted to 80 columns (terminfo's default) whatever the window. COLUMNS, when set, is taken as the
// user's word (as ls and Python's shutil do); otherwise the terminal on the stream drawn on is asked (Linux), then .NET.
using System.Globalization;
using System.Runtime.InteropServices;

namespace ConvNet.Cli;

public static partial class TerminalWidth
{
    public const int Fallback = 80;
    private const int StandardOutput = 1, StandardError = 2;

    /// <summary>The width of the terminal standard output is (the training bar).</summary>
    public static int OfStandardOutput() => Choose(Environment.GetEnvironmentVariable("COLUMNS"), Ask(StandardOutput), ConsoleWidth);

    /// <summary>The width of the terminal standard error is (features' and show confusion's progress line).</summary>
    public static int OfStandardError() => Choose(Environment.GetEnvironmentVariable("COLUMNS"), Ask(StandardError), ConsoleWidth);

    /// <summary>COLUMNS when it is a positive whole number, else what the stream's terminal says, else .NET's width,
    /// else 80.</summary>
    public static int Choose(string? columns, int? terminal, Func<int> console)
    {
        if (int.TryParse(columns, NumberStyles.None, CultureInfo.InvariantCulture, out int given) && given > 0) return given;
        if (terminal is > 0 and int asked) return asked;
        int width = console();
        return width > 0 ? width : Fallback;
    }

    private static int ConsoleWidth()
    {
        try { return Console.WindowWidth; }
        catch (Exception e) when (e is IOException or PlatformNotSupportedException or InvalidOperationException) { return 0; }
    }

    /// <summary>The columns of the terminal on <paramref name="descriptor"/> (ioctl TIOCGWINSZ); null when it is no
    /// terminal, or not on Linux, where the request's number differs.</summary>
    private static int? Ask(int descriptor)
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            return GetWindowSize(descriptor, TerminalWindowSize, out var size) == 0 && size.Columns > 0 ? size.Columns : null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    private const nuint TerminalWindowSize = 0x5413; // TIOCGWINSZ on Linux (x86-64 and arm64 alike)

    [StructLayout(LayoutKind.Sequential)]
    private struct WindowSize
    {
        public ushort Rows, Columns, PixelsAcross, PixelsDown;
    }

    [LibraryImport("libc", EntryPoint = "ioctl")]
    private static partial int GetWindowSize(int descriptor, nuint request, out WindowSize size);
}
