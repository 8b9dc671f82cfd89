// convnet-fuzz: `list`; `seeds TARGET DIR` writes the target's valid seed files; `run TARGET FILE...` runs inputs
// once outside afl-fuzz (to reproduce a finding: prints the exception, exit 1); `fuzz TARGET` is what afl-fuzz runs.
using SharpFuzz;

namespace ConvNet.Fuzz;

public static class Program
{
    public static int Main(string[] args)
    {
        if (args is ["list"])
        {
            foreach (var t in TargetList.All) Console.WriteLine($"{t.Name,-12} {t.Description}");
            return 0;
        }
        if (args.Length < 2 || TargetList.Find(args[1]) is not { } target)
        {
            Console.Error.WriteLine($"usage: ConvNet.Fuzz list | seeds TARGET DIR | run TARGET FILE... | fuzz TARGET  (targets: {string.Join(", ", TargetList.All.Select(t => t.Name))})");
            return 2;
        }
        switch (args[0])
        {
            case "seeds" when args.Length == 3:
                Directory.CreateDirectory(args[2]);
                foreach (var (name, bytes) in target.Seeds()) File.WriteAllBytes(Path.Combine(args[2], name), bytes);
                return 0;
            case "run" when args.Length >= 3:
                return RunFiles(new Harness(target), args[2..]);
            case "fuzz" when args.Length == 2:
                var harness = new Harness(target);
                Fuzzer.OutOfProcess.Run(harness.Run);
                return 0;
            default:
                Console.Error.WriteLine($"convnet-fuzz: unknown command or wrong arguments: {string.Join(" ", args)}");
                return 2;
        }
    }

    private static int RunFiles(Harness harness, string[] files)
    {
        int failed = 0;
        try
        {
            foreach (string file in files)
            {
                try
                {
                    harness.Run(File.ReadAllBytes(file));
                    Console.WriteLine($"ok      {file}");
                }
                catch (Exception e)
                {
                    failed++;
                    Console.WriteLine($"FINDING {file}: {e.GetType().Name}: {e.Message}");
                    Console.WriteLine(e.ToString());
                }
            }
        }
        finally
        {
            Directory.Delete(harness.Folder, recursive: true);
        }
        return failed == 0 ? 0 : 1;
    }
}
