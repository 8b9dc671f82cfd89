// The request body as Kestrel gives it, with Kestrel's own read failures told apart from the form reader's. Kestrel
// throws a bare IOException for a chunk-size line it cannot hold ("Bad chunk size data.": fffffffff, 100000000): it
// reached the client as a logged 500, or inside a form as a multipart problem. Here it becomes TransferFailedException.
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;

namespace ConvNet.Serving.Http;

/// <summary>Reading the request body's transfer encoding failed (not the image or the form in it).</summary>
public sealed class TransferFailedException(IOException inner) : Exception(inner.Message, inner);

public sealed class TransferReadStream(Stream inner) : Stream
{
    private long _bytesRead;

    /// <summary>Body bytes read so far (the drain's upload-rate rule reads it from another thread).</summary>
    public long BytesRead => Interlocked.Read(ref _bytesRead);

    /// <summary>When the stream was made: the request's start, as far as its upload rate goes.</summary>
    public long StartedAt { get; } = System.Diagnostics.Stopwatch.GetTimestamp();

    /// <summary>The body has been read to its end, or as far as its reader wanted (a form's closing boundary).</summary>
    public bool Ended { get; private set; }

    public void ReadingDone() => Ended = true;

    private int Counted(int n)
    {
        Interlocked.Add(ref _bytesRead, n);
        if (n == 0) Ended = true;
        return n;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count)
    {
        try
        {
            return Counted(inner.Read(buffer, offset, count));
        }
        catch (IOException e) when (IsTransferFailure(e))
        {
            throw new TransferFailedException(e);
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancel = default)
    {
        try
        {
            return Counted(await inner.ReadAsync(buffer, cancel));
        }
        catch (IOException e) when (IsTransferFailure(e))
        {
            throw new TransferFailedException(e);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancel) =>
        ReadAsync(buffer.AsMemory(offset, count), cancel).AsTask();

    // Kestrel's BadHttpRequestException (an IOException with a status: 408, 413, a cut body) is answered as it is, and
    // a client that reset its connection is a client gone, not a malformed body.
    private static bool IsTransferFailure(IOException e) => e is not BadHttpRequestException and not ConnectionResetException;

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
