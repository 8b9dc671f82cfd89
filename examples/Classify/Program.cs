// Classifies images with a ConvNet checkpoint through the ConvNet NuGet package:
//   dotnet run -- runs/fmnist shirt.png boot.jpg
using ConvNet.Inference;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: Classify CHECKPOINT IMAGE...   (a run folder or an imported model's folder, then JPEG/PNG files)");
    return 2;
}
try
{
    using var classifier = ImageClassifier.Open(args[0]);
    foreach (var image in args[1..])
    {
        Console.WriteLine(image);
        foreach (var c in classifier.Classify(image))
            Console.WriteLine(FormattableString.Invariant($"  {c.Probability,8:P2}  {c.Name} ({c.Index})")); // as convnet predict, in any culture
    }
    return 0;
}
catch (Exception e) // a missing or damaged checkpoint, an unreadable image: the library's message names the file
{
    Console.Error.WriteLine($"Classify: error: {e.Message}");
    return 2;
}
