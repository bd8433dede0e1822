"""The seed's listings 2–8, transcribed as printed, to check the vectorised core against.

Only the random initialisation is replaced by weights passed in, so both sides start equal.
"""

import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def loss(y, y_hat):
    epsilon = 1e-15
    y_hat_clipped = np.clip(y_hat, epsilon, 1 - epsilon)
    return -np.mean(y * np.log(y_hat_clipped) + (1 - y) * np.log(1 - y_hat_clipped))


def gradient_loss(A, y, y_hat):
    N = A.shape[0]
    residuals = y_hat - y
    dw = (1 / N) * np.dot(A[:, 1:].T, residuals)
    db = (1 / N) * np.sum(residuals)
    return dw, db


def train_model(A, y, w, b, learning_rate=0.01, num_iterations=1000):
    """Listing 4, from given initial ``w, b``."""
    loss_history = []
    for iteration in range(num_iterations):
        z = np.dot(A[:, 1:], w) + b
        y_hat = sigmoid(z)
        loss_history.append(loss(y, y_hat))
        dw, db = gradient_loss(A, y, y_hat)
        w = w - learning_rate * dw
        b = b - learning_rate * db
    return w, b, loss_history


def relu(z):
    return np.maximum(0, z)


def relu_derivative(z):
    return (z > 0).astype(float)


def gradients(x, y, w1, b1, w, b):
    """Listing 7."""
    a1 = np.dot(w1, x) + b1
    h1 = relu(a1)
    z = np.dot(w, h1) + b
    y_hat = sigmoid(z)
    dL_dz = y_hat - y
    db = dL_dz
    dw = dL_dz * h1
    dL_dh1 = dL_dz * w
    dL_da1 = dL_dh1 * relu_derivative(a1)
    db1 = dL_da1
    dw1 = np.outer(dL_da1, x)
    return dw1, db1, dw, db


def train_nn(x, y, w1, b1, w, b, learning_rate=0.01, num_iterations=1000):
    """Listing 8, from given initial weights."""
    loss_history = []
    for iteration in range(num_iterations):
        total_loss = 0
        for i in range(len(x)):
            x_i, y_i = x[i], y[i]
            a1 = np.dot(w1, x_i) + b1
            h1 = relu(a1)
            z = np.dot(w, h1) + b
            y_hat = sigmoid(z)
            epsilon = 1e-15
            y_hat_clipped = np.clip(y_hat, epsilon, 1 - epsilon)
            loss_i = -(y_i * np.log(y_hat_clipped) + (1 - y_i) * np.log(1 - y_hat_clipped))
            total_loss += loss_i
            dw1, db1, dw, db = gradients(x_i, y_i, w1, b1, w, b)
            w1 = w1 - learning_rate * dw1
            b1 = b1 - learning_rate * db1
            w = w - learning_rate * dw
            b = b - learning_rate * db
        loss_history.append(total_loss / len(x))
    return w1, b1, w, b, loss_history
