"""The MLflow pyfunc model, logged "from code": MLflow runs this file to rebuild the model.

The weights travel as the ``weights`` artifact (a ``.npz`` read without pickle); the
code this package and the core need travels with the model as its code path.
"""

import mlflow
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE
from mlflow.pyfunc import PythonModel

from chainrule.model import weights


class ChainruleModel(PythonModel):
    """Raw feature columns in; out, for two classes the probability of label 1 and the 0/1 label,
    for K classes one probability column per original label and the predicted label
    (:meth:`chainrule.model.weights.Predictor.outputs`)."""

    # The input schema comes from the logged signature; MLflow's validation through
    # predict()'s type hints (and its warnings about them) is not wanted on top.
    _skip_type_hint_validation = True

    def load_context(self, context):
        self.predictor = weights.load(context.artifacts["weights"])

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        try:
            X = self.predictor.inputs(pd.DataFrame(model_input))
        except ValueError as error:  # a caller's mistake, said by feature name: a bad request, not a crash
            raise MlflowException(str(error), error_code=INVALID_PARAMETER_VALUE) from None
        return pd.DataFrame(self.predictor.outputs(X))


mlflow.models.set_model(ChainruleModel())
