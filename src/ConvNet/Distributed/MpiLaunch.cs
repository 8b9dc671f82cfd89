// Finds out whether this process was started by an MPI launcher and joins the job if so. Without one (a plain
// `convnet train`), MPI is never loaded and the run is the ordinary single process.
namespace ConvNet.Distributed;

public static class MpiLaunch
{
    /// <summary>The communicator for this process: MPI when a PMI launcher (MPICH's mpiexec/Hydra, Slurm's
    /// srun --mpi=pmi2) started more than one rank, else the single process.</summary>
    /// <param name="environment">reads an environment variable (Environment.GetEnvironmentVariable)</param>
    /// <param name="timeoutAdvice">what to do when a collective times out, after the error (train: restart with --resume)</param>
    public static ICommunicator Join(Func<string, string?> environment, string? timeoutAdvice = null)
    {
        var ranks = Ranks(environment);
        return ranks > 1
            ? MpiCommunicator.Start(CollectiveTimeout(environment), SharedMemorySums(environment), SharedMemoryLimitBytes(environment),
                timeoutAdvice, LaunchedRank(environment) ?? "rank ?")
            : SingleProcess.Instance;
    }

    /// <summary>"rank 1 of 2" when a PMI launcher started this process as one of several ranks, else null; from the
    /// environment alone (PMI_RANK, PMI_SIZE), so it names a rank that has not joined MPI (yet).</summary>
    public static string? LaunchedRank(Func<string, string?> environment)
    {
        int ranks;
        try { ranks = Ranks(environment); }
        catch (ArgumentException) { return null; } // another MPI's launcher: not one convnet can join
        return ranks > 1 ? $"rank {environment("PMI_RANK") ?? "?"} of {ranks}" : null;
    }

    /// <summary>Ends the whole job from a rank that fails outside a communicator: before joining it (a bad option, a bad
    /// CONVNET_MPI_* value) or while joining. MPICH's mpiexec ends a job when a rank dies or calls MPI_Abort, not when one
    /// exits without having initialised MPI: the other ranks would wait in MPI_Init for it forever. Returns only where
    /// there is no job to end (one process, another MPI's launcher, MPI finalised already or not installed).</summary>
    public static void AbortJob(Func<string, string?> environment, int exitCode)
    {
        if (LaunchedRank(environment) is null) return;
        TimeSpan limit;
        try { limit = CollectiveTimeout(environment); }
        catch (ArgumentException) { limit = DefaultTimeout; } // the bad value may be this one
        MpiCommunicator.AbortJob(limit, exitCode);
    }

    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(600);

    /// <summary>The most shared memory (MB, all ranks of a machine together) the sums may map:
    /// CONVNET_MPI_SHARED_MEMORY_MB, unlimited by default (then what /dev/shm has free). Past it, MPI's allreduce.</summary>
    public static long SharedMemoryLimitBytes(Func<string, string?> environment)
    {
        string? text = environment("CONVNET_MPI_SHARED_MEMORY_MB");
        if (text is null) return long.MaxValue;
        if (!double.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out double megabytes) || !(megabytes >= 0) || megabytes > 1e12)
            throw new ArgumentException($"CONVNET_MPI_SHARED_MEMORY_MB={text}: give a number of megabytes (0 or more)");
        return (long)(megabytes * 1e6);
    }

    /// <summary>Whether ranks on one machine sum through shared memory: yes unless CONVNET_MPI_SHARED_MEMORY=0 (then MPI's
    /// own allreduce, for comparison or where shared memory is scarce).</summary>
    public static bool SharedMemorySums(Func<string, string?> environment) =>
        environment("CONVNET_MPI_SHARED_MEMORY") switch
        {
            null or "" or "1" => true,
            "0" => false,
            var other => throw new ArgumentException($"CONVNET_MPI_SHARED_MEMORY={other}: give 1 (shared memory, the default) or 0 (MPI's allreduce)"),
        };

    /// <summary>Longest wait in one collective: CONVNET_MPI_TIMEOUT seconds, 600 by default (long enough for rank 0 to
    /// write a paper-sized checkpoint or run a validation pass while the others wait).</summary>
    public static TimeSpan CollectiveTimeout(Func<string, string?> environment)
    {
        string? text = environment("CONVNET_MPI_TIMEOUT");
        if (text is null) return DefaultTimeout;
        if (!double.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out double seconds) || !(seconds > 0))
            throw new ArgumentException($"CONVNET_MPI_TIMEOUT={text}: give a positive number of seconds");
        return TimeSpan.FromSeconds(seconds);
    }

    /// <summary>The number of ranks the launcher started (1 without a launcher), from the environment alone.</summary>
    public static int Ranks(Func<string, string?> environment)
    {
        if (environment("OMPI_COMM_WORLD_SIZE") is not null)
            throw new ArgumentException("started by Open MPI's mpirun: convnet speaks MPICH's ABI only; launch it with MPICH's mpiexec (Debian: apt-get install mpich; mpiexec.mpich)");
        string? size = environment("PMI_SIZE");
        if (size is null)
        {
            if (environment("PMIX_RANK") is not null)
                throw new ArgumentException("started through PMIx (srun --mpi=pmix or Open MPI): convnet needs MPICH; under Slurm use srun --mpi=pmi2");
            return 1;
        }
        if (!int.TryParse(size, out int n) || n < 1)
            throw new ArgumentException($"PMI_SIZE={size}: not a number of ranks");
        return n;
    }
}
