// Under mpiexec, a rank that fails before it joins the job (a bad option, a bad CONVNET_MPI_* value) must still end the
// job: MPICH's mpiexec ends one when a rank dies or calls MPI_Abort, not when a rank exits without having started MPI,
// so the others would wait in MPI_Init for it forever. Such a rank names itself in its error, as a rank's other errors
// do, then starts MPI only to abort the job with its exit code. Without a launcher of several ranks nothing changes.
using ConvNet.Distributed;

namespace ConvNet.Cli;

public static class EarlyRankFailure
{
    /// <summary>"convnet: error: X" as "convnet: error (rank 1 of 2): X", and "convnet train: unknown option ..." as
    /// "convnet train (rank 1 of 2): unknown option ..." under a launcher of several ranks; otherwise the line as is.</summary>
    public static string Tagged(string line, Func<string, string?> environment)
    {
        if (MpiLaunch.LaunchedRank(environment) is not { } rank) return line;
        const string error = "convnet: error: ";
        if (line.StartsWith(error, StringComparison.Ordinal)) return $"convnet: error ({rank}): {line[error.Length..]}";
        int colon = line.IndexOf(": ", StringComparison.Ordinal);
        return colon < 0 ? line : $"{line[..colon]} ({rank}){line[colon..]}";
    }

    /// <summary>Ends every rank of the job with <paramref name="exitCode"/> (MPI_Abort), after the error was printed;
    /// returns the code where there is no job to end (one process, or MPI already finalised).</summary>
    public static int EndJob(int exitCode, Func<string, string?> environment)
    {
        if (MpiLaunch.LaunchedRank(environment) is null) return exitCode;
        LetTheLauncherForwardErrors();
        MpiLaunch.AbortJob(environment, exitCode);
        return exitCode;
    }

    /// <summary>Before a job is torn down: the launcher forwards output asynchronously and drops what is still in
    /// flight (this rank's error, and the other ranks' when all fail alike), so flush and give it a moment.</summary>
    public static void LetTheLauncherForwardErrors()
    {
        try { Console.Error.Flush(); }
        catch (Exception) { } // stderr closed or full: the exit code still ends the job
        Thread.Sleep(TimeSpan.FromMilliseconds(500));
    }
}
