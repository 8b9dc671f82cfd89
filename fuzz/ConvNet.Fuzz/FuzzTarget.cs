// One parser under fuzzing: how an input reaches the parser's public entry point (the one the CLI uses), which
// errors are the project's own typed refusals, and the small valid files the fuzzer starts from.
using ConvNet.Data;
using ConvNet.Training;

namespace ConvNet.Fuzz;

public abstract class FuzzTarget
{
    /// <summary>The name on the command line (fuzz/run.sh TARGET).</summary>
    public abstract string Name { get; }

    /// <summary>One line for `list`.</summary>
    public abstract string Description { get; }

    /// <summary>The file name the input is written to inside the harness's private folder.</summary>
    public abstract string InputName { get; }

    /// <summary>The ways the CLI hands the file at <paramref name="path"/> (in <paramref name="folder"/>) to the
    /// parser; each runs on every input and must succeed or refuse it with a typed error.</summary>
    public abstract IEnumerable<Action> Readers(string path, string folder);

    /// <summary>Small valid inputs (name, bytes) for afl-fuzz's -i folder.</summary>
    public abstract IEnumerable<(string Name, byte[] Bytes)> Seeds();

    /// <summary>Whether <paramref name="e"/> is one of the project's typed refusals of a bad input. Everything else
    /// (NullReference, IndexOutOfRange, Overflow, OutOfMemory, InvalidCast, ...) is a bug the fuzzer reports.</summary>
    public virtual bool IsTypedRefusal(Exception e) =>
        e is DataException or InvalidDataException or CheckpointException or FileNotFoundException
        || (e is ArgumentException && e.GetType() != typeof(ArgumentOutOfRangeException) && e.GetType() != typeof(ArgumentNullException));

    /// <summary>Whether a typed refusal must name the input (the file, or its folder for a run folder): true for every
    /// file parser, whose errors reach the user as one line.</summary>
    public virtual bool MustNameInput => true;

    /// <summary>The most a single input may make the parser allocate on the calling thread: what a file merely
    /// declares is never allocated. 64 MB plus 8 bytes per input byte by default.</summary>
    public virtual long AllocationLimit(int inputLength) => (64L << 20) + 8L * inputLength;
}
