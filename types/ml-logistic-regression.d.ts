// Types of ml-logistic-regression 2.0.0 (the package ships none), as far as Trustflow uses it
// (server/domain/prediction/model.ts). One-vs-all: `train` fits one two-class classifier per
// label value; classifier i scores the probability that a row is NOT of class i.
declare module "ml-logistic-regression" {
  import type { Matrix } from "ml-matrix";

  export interface TwoClassesJson {
    numSteps: number;
    learningRate: number;
    weights: Matrix | number[][] | null;
  }

  export interface TwoClasses {
    numSteps: number;
    learningRate: number;
    weights: Matrix | null;
    train(features: Matrix, target: Matrix): void;
    /** Sigmoid of `features · weightsᵀ`, one per row. */
    testScores(features: Matrix): number[];
    predict(features: Matrix): number[];
    toJSON(): TwoClassesJson;
  }

  export default class LogisticRegression {
    constructor(options?: { numSteps?: number; learningRate?: number });
    numSteps: number;
    learningRate: number;
    numberClasses: number;
    classifiers: TwoClasses[];
    train(X: Matrix, Y: Matrix): void;
    predict(X: Matrix): number[];
    toJSON(): {
      name: "LogisticRegression";
      numSteps: number;
      learningRate: number;
      numberClasses: number;
      classifiers: TwoClasses[];
    };
    static load(model: {
      name: "LogisticRegression";
      numSteps?: number;
      learningRate?: number;
      numberClasses: number;
      classifiers: TwoClassesJson[];
    }): LogisticRegression;
  }
}
