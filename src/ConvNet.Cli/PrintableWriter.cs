// Everything the tool writes to the terminal passes through this: a name from a stranger's data (a class folder, an
// ONNX layer, a file path) may hold escape sequences a terminal would run. Our own text uses only tabs, newlines and
// the carriage return of the progress line; every other control character is written as an escape (\u001b).
using System.Text;
using ConvNet.Diagnostics;

namespace ConvNet.Cli;

public sealed class PrintableWriter(TextWriter inner) : TextWriter
{
    public override Encoding Encoding => inner.Encoding;
    public override IFormatProvider FormatProvider => inner.FormatProvider;
#pragma warning disable CS8765 // TextWriter's NewLine setter takes a nullable string
    public override string NewLine { get => inner.NewLine; set => inner.NewLine = value; }
#pragma warning restore CS8765

    public override void Write(char value) => inner.Write(Printable(value.ToString()));
    public override void Write(string? value) => inner.Write(value is null ? null : Printable(value));
    public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));
    public override void Write(ReadOnlySpan<char> buffer) => Write(new string(buffer));
    // One write a line, as the console's own: two (the text, then the line break) let ranks sharing a pipe interleave.
    public override void WriteLine(string? value) => inner.WriteLine(value is null ? null : Printable(value));
    public override void WriteLine(ReadOnlySpan<char> buffer) => WriteLine(new string(buffer));
    public override void WriteLine() => inner.WriteLine();
    public override void Flush() => inner.Flush();

    private static string Printable(string value) => PrintableText.Of(value, keepLineBreaks: true);

    /// <summary>Puts writers like this one in front of standard output and standard error.</summary>
    public static void Install()
    {
        Console.SetOut(TextWriter.Synchronized(new PrintableWriter(Console.Out)));
        Console.SetError(TextWriter.Synchronized(new PrintableWriter(Console.Error)));
    }
}
