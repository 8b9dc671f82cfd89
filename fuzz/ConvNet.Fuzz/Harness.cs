// Runs one input through a target: writes it to the target's file in a private folder, calls the parser, and turns
// anything but a typed refusal naming the input (or an allocation beyond the target's limit) into an exception that
// escapes, which SharpFuzz reports to afl-fuzz as a crash. Hangs are afl-fuzz's timeout (-t).
namespace ConvNet.Fuzz;

public sealed class FuzzFinding(string message, Exception? inner = null) : Exception(message, inner);

public sealed class Harness
{
    private readonly FuzzTarget _target;
    private readonly string _folder;
    private readonly string _path;

    public Harness(FuzzTarget target)
    {
        _target = target;
        // Inputs are written for every execution: tmpfs when there is one.
        string root = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        _folder = Path.Combine(root, $"convnet-fuzz-{target.Name}-{Environment.ProcessId}");
        Directory.CreateDirectory(_folder);
        _path = Path.Combine(_folder, target.InputName);
    }

    public string Folder => _folder;

    public void Run(Stream input)
    {
        using var buffer = new MemoryStream();
        input.CopyTo(buffer);
        Run(buffer.ToArray());
    }

    public void Run(byte[] bytes)
    {
        File.WriteAllBytes(_path, bytes);
        foreach (var read in _target.Readers(_path, _folder)) Check(read, bytes.Length);
    }

    private void Check(Action read, int length)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            read();
        }
        catch (Exception e) when (_target.IsTypedRefusal(Unwrap(e)))
        {
            var refusal = Unwrap(e);
            if (_target.MustNameInput && !refusal.Message.Contains(_folder, StringComparison.Ordinal))
                throw new FuzzFinding($"{_target.Name}: a {refusal.GetType().Name} that does not name the input: {refusal.Message}", refusal);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        if (allocated > _target.AllocationLimit(length))
            throw new FuzzFinding($"{_target.Name}: {allocated >> 20} MB allocated for a {length}-byte input");
    }

    private static Exception Unwrap(Exception e) => e is AggregateException { InnerExceptions.Count: 1 } a ? a.InnerException! : e;
}
