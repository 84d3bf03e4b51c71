// csv-tabular: a sample plugin for tabular data. The dataset reader "csv" reads a CSV file of
// numeric feature columns and one label column (data.path, data.options: label, header,
// columns, delimiter, test_fraction, seed); the model "tabular-mlp" is a multilayer perceptron
// over the features (model.widths, model.dropout).
#include "lathe/plugin.h"
#include "csv_dataset.h"
#include "tabular_mlp.h"

LATHE_PLUGIN("csv-tabular", "1.0")

extern "C" int lathe_plugin_register(lathe::sdk::IRegistry *registry)
{
    registry->addDataset("csv",
                         "A CSV table of numeric features and a label column (data.options: "
                         "label, header, columns, delimiter, test_fraction, seed)",
                         lathe::csv::readCsvDataset);
    registry->addModel("tabular-mlp",
                       "A multilayer perceptron for tabular samples: Linear + ReLU per width "
                       "(default 64, 32), then a linear head",
                       lathe::csv::buildTabularMlp);
    return 0;
}
