// train and eval under mpiexec: the process joins the ranks, runs the command, and an error on any rank ends the whole
// job (MPI_Abort) once that rank has printed it with its rank: the others may be waiting in a collective it will never
// join, and finalising MPI first would wait for them. Without a launcher this is the plain command.
using System.CommandLine;
using ConvNet.Distributed;

namespace ConvNet.Cli;

public static class DistributedCommand
{
    /// <param name="timeoutAdvice">what to do after a collective timed out, for this command (train: --resume), or null</param>
    public static int Run(ParseResult parse, string? timeoutAdvice, Func<ICommunicator, int> command)
    {
        using var communicator = MpiLaunch.Join(Environment.GetEnvironmentVariable, timeoutAdvice);
        try
        {
            return command(communicator);
        }
        catch (Exception e) when (communicator.Size > 1)
        {
            var lines = CliErrors.Messages(e).Select(m => $"convnet: error (rank {communicator.Rank} of {communicator.Size}): {m}").ToList();
            if (parse.GetValue(CliErrors.VerboseOption)) lines.Add(e.ToString());
            EndJob(communicator, CliErrors.UsageOrInputError, lines);
            throw; // not reached: EndJob ends the process
        }
    }

    /// <summary>Prints <paramref name="lines"/> on stderr, then ends every rank with <paramref name="exitCode"/>.</summary>
    public static void EndJob(ICommunicator communicator, int exitCode, IEnumerable<string> lines)
    {
        foreach (string line in lines) Console.Error.WriteLine(line);
        EarlyRankFailure.LetTheLauncherForwardErrors();
        communicator.Abort(exitCode);
    }
}
