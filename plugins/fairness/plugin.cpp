// fairness: a sample metric plugin. At every evaluation it groups the samples by one attribute
// of the dataset (a tabular dataset's column: "metrics": [{"name": "fairness", "column":
// "alcohol"}]) and records each group's accuracy and true-positive rate and the gaps between
// the groups, as <split>/fairness/<value> metrics of the run.
#include "lathe/plugin.h"
#include "fairness.h"

LATHE_PLUGIN("fairness", "1.0")

extern "C" int lathe_plugin_register(lathe::sdk::IRegistry *registry)
{
    registry->addMetric("fairness",
                        "Accuracy and true-positive rate per group of a dataset column, and the "
                        "gaps between the groups (options: column, threshold, positive_class)",
                        lathe::fairness::setUpFairness);
    return 0;
}
